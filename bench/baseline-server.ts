/**
 * The bench's baseline: the same stack as the service (Express 5, the same
 * JSON body parser with the same options and size limit) doing no work of its
 * own. It parses each request, reads one field of it, and answers a fixed
 * response of the service's size: for a hook call (POST /cds-services/:id)
 * BASELINE_RESPONSE_FILE, the service's own answer to the typical request; for
 * a FHIR operation (POST /fhir/Questionnaire/:operation)
 * BASELINE_PACKAGE_RESPONSE_FILE, when given, the service's own
 * $questionnaire-package answer. Started by bench/run-bench.ts as a child
 * process with the service's Node options: node --import tsx bench/baseline-server.ts
 * (tsx only loads it; nothing of tsx runs per request).
 */
import { readFileSync } from 'node:fs';
import express from 'express';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
const responseFile = process.env['BASELINE_RESPONSE_FILE'];
if (!responseFile) throw new Error('BASELINE_RESPONSE_FILE is required');
const answer: unknown = JSON.parse(readFileSync(responseFile, 'utf8'));
const packageFile = process.env['BASELINE_PACKAGE_RESPONSE_FILE'];
const packageAnswer: unknown = packageFile ? JSON.parse(readFileSync(packageFile, 'utf8')) : undefined;
const required = JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'required' }] });

const app = express();
app.disable('x-powered-by');
// As in src/http/app.ts.
app.use(express.json({ limit: config.bodyLimit, strict: false, type: ['application/json', 'application/fhir+json', 'application/*+json'] }));
app.post('/cds-services/:id', (req, res) => {
  const body = req.body as { hookInstance?: unknown } | undefined;
  if (typeof body?.hookInstance !== 'string') {
    res.status(400).type('json').send(required);
    return;
  }
  res.json(answer);
});
app.post('/fhir/Questionnaire/:operation', (req, res) => {
  const body = req.body as { resourceType?: unknown } | undefined;
  if (packageAnswer === undefined || body?.resourceType !== 'Parameters') {
    res.status(400).type('application/fhir+json').send(required);
    return;
  }
  // Serialised per request, as the service does (src/http/fhir-routes.ts).
  res.type('application/fhir+json').send(JSON.stringify(packageAnswer));
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
