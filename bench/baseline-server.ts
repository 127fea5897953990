/**
 * The bench's baseline: the same stack as the service (Express 5, the same
 * JSON body parser with the same options and size limit) doing no work of its
 * own. It parses each request, reads its hookInstance, and answers a fixed
 * CDS Hooks response of the service's size (BASELINE_RESPONSE_FILE, the
 * service's own answer to the scenario's request). Started by bench/run-bench.ts
 * as a child process: node --import tsx bench/baseline-server.ts
 */
import { readFileSync } from 'node:fs';
import express from 'express';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
const responseFile = process.env['BASELINE_RESPONSE_FILE'];
if (!responseFile) throw new Error('BASELINE_RESPONSE_FILE is required');
const answer: unknown = JSON.parse(readFileSync(responseFile, 'utf8'));

const app = express();
app.disable('x-powered-by');
// As in src/app.ts.
app.use(express.json({ limit: config.bodyLimit, strict: false, type: ['application/json', 'application/fhir+json', 'application/*+json'] }));
app.post('/cds-services/:id', (req, res) => {
  const body = req.body as { hookInstance?: unknown } | undefined;
  if (typeof body?.hookInstance !== 'string') {
    res.status(400).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'required' }] });
    return;
  }
  res.json(answer);
});
app.get('/cds-services', (_req, res) => {
  res.json({ services: [] });
});

const server = app.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  process.stdout.write(`baseline listening on http://${config.host}:${port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => server.close(() => process.exit(0)));
