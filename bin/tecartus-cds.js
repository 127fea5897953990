#!/usr/bin/env node
// `tecartus-cds evaluate <file>`: the service's decision on the command line.
// The project runs its TypeScript through tsx (no build step), so the command
// registers tsx's loader and then imports the TypeScript entry point.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
