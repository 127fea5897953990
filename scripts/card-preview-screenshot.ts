/**
 * Takes docs/card-preview.png, the README's picture of the card preview page:
 * starts the real app on an ephemeral port, opens the page in Debian's
 * Chromium, picks a scenario and photographs the answer.
 *
 *   node --import tsx scripts/card-preview-screenshot.ts [scenario-id] [output.png]
 */
import { fromRoot } from '../src/paths.js';
import { withPreviewPage } from './preview-in-chromium.js';

const scenario = process.argv[2] ?? 'prior-car-t';
const output = process.argv[3] ?? fromRoot('docs', 'card-preview.png');

await withPreviewPage(async (page) => {
  const answered = page.waitForResponse((r) => r.url().includes('/cds-services/'));
  await page.click(`button[data-scenario="${scenario}"]`);
  await answered;
  await page.waitForSelector('#answer[data-state="done"]');
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);
});
