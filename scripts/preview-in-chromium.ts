import type { AddressInfo } from 'node:net';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/config.js';
import { loadDiscovery } from '../src/hooks/discovery.js';
import { createApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { loadPolicy } from '../src/policy/load-policy.js';
import { CHROMIUM_LAUNCH_OPTIONS } from '../test/support/browser.js';

/**
 * For the screenshot scripts: the real app on an ephemeral port (settings
 * from the environment, logs silent), the preview page open and ready in
 * Debian's Chromium, `work` run on it; then everything closed.
 */
export async function withPreviewPage(work: (page: Page) => Promise<void>): Promise<void> {
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
    await work(page);
  } finally {
    await browser.close();
    server.close();
  }
}
