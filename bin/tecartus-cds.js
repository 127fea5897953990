#!/usr/bin/env node
// `tecartus-cds evaluate <file>` (the service's decision on the command line) and `tecartus-cds hash-password` (a reviewer's password hash), from the compiled service (npm run build).
await import(new URL('../dist/cli/main.js', import.meta.url).href);
