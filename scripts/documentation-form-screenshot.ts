/**
 * Takes docs/documentation-form.png, the picture of the preview page's
 * documentation step: starts the real app on an ephemeral port, opens the
 * page in Debian's Chromium, signs the order of the scenario whose record
 * leaves the ALL lineage and the relapse undocumented, opens the pre-filled
 * form in LHC-Forms, answers the rest as the browser test does, and
 * photographs the completed form.
 *
 *   node --import tsx scripts/documentation-form-screenshot.ts [output.png]
 */
import { fromRoot } from '../src/paths.js';
import { fillRemainingItems, finishDocumentation, openDocumentationForm } from '../test/support/documentation-form.js';
import { withPreviewPage } from './preview-in-chromium.js';

const output = process.argv[2] ?? fromRoot('docs', 'documentation-form.png');

await withPreviewPage(async (page) => {
  await page.click('button[data-scenario="all-lineage-undocumented"]');
  await page.waitForSelector('#documentation:not([hidden])');
  await openDocumentationForm(page);
  await fillRemainingItems(page);
  const response = await finishDocumentation(page);
  if (response['status'] !== 'completed') throw new Error(`the form is not complete: ${await page.textContent('#documentation-result')}`);
  await page.click('#documentation-response-panel summary');
  await page.locator('#documentation').screenshot({ path: output });
  console.log(`wrote ${output}`);
});
