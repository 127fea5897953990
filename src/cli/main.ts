import { askSecret } from './ask-secret.js';
import { readInputFile, runCli } from './run-cli.js';

// The `tecartus-cds` command (bin/tecartus-cds.js loads this file through tsx).
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, readInput: readInputFile, askSecret: process.stdin.isTTY ? askSecret : undefined });
