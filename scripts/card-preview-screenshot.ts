/**
 * Takes docs/card-preview.png, the README's picture of the card preview page:
 * starts the real app on an ephemeral port, opens the page in Debian's
 * Chromium, picks a scenario and photographs the answer.
 *
 *   node --import tsx scripts/card-preview-screenshot.ts [scenario-id] [output.png]
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

const scenario = process.argv[2] ?? 'prior-car-t';
const output = process.argv[3] ?? fromRoot('docs', 'card-preview.png');

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
  const answered = page.waitForResponse((r) => r.url().includes('/cds-services/'));
  await page.click(`button[data-scenario="${scenario}"]`);
  await answered;
  await page.waitForSelector('#answer[data-state="done"]');
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  server.close();
}
