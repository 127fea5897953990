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
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { createApp } from '../src/http/app.js';
import { loadConfig } from '../src/config.js';
import { loadDiscovery } from '../src/hooks/discovery.js';
import { createLogger } from '../src/logger.js';
import { loadPolicy } from '../src/policy/load-policy.js';
import { fromRoot } from '../src/paths.js';
import { CHROMIUM_LAUNCH_OPTIONS } from '../test/support/browser.js';
import { fillRemainingItems, finishDocumentation, openDocumentationForm } from '../test/support/documentation-form.js';

const output = process.argv[2] ?? fromRoot('docs', 'documentation-form.png');

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const app = createApp({ config, logger: createLogger('silent'), policy: loadPolicy(config.policyDir), discovery: loadDiscovery(config.discoveryFile) });
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;

const browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('button[data-scenario="all-lineage-undocumented"]');
  await page.waitForSelector('#documentation:not([hidden])');
  await openDocumentationForm(page);
  await fillRemainingItems(page);
  const response = await finishDocumentation(page);
  if (response['status'] !== 'completed') throw new Error(`the form is not complete: ${await page.textContent('#documentation-result')}`);
  await page.click('#documentation-response-panel summary');
  await page.locator('#documentation').screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  server.close();
}
