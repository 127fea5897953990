import { loadDtrContent } from '../dtr/dtr-content.js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { loadDiscovery } from '../hooks/discovery.js';
import { loadPolicy } from '../policy/load-policy.js';
import { CliInputError } from './cli-input-error.js';
import { HASH_PASSWORD_USAGE, runHashPassword } from './hash-password.js';
import { evaluateInput, type EvaluatorDependencies } from './evaluate.js';
import { formatEvaluation } from './print-result.js';
import { readEvaluatorInput } from './read-input.js';
import { styleFor } from './terminal-style.js';

const USAGE = `Usage: tecartus-cds evaluate <file | -> [options]
       tecartus-cds hash-password   (an account's password for the reviewer's page)

Runs the service's Tecartus decision on a CDS Hooks order-sign or
order-select request, or on a FHIR Bundle holding a patient's record and the
order, without a server, and prints the cards and coverage information.

Options:
  --json                 print the raw CDS Hooks response instead
  --hook <hook>          for a Bundle: order-sign (default) or order-select
  --order <Type/id>      for a Bundle: the order to judge (repeatable); default:
                         draft orders and active Tecartus orders in the Bundle
  --crd-version <v>      for a Bundle: 2.0 (default) or 2.2
  -h, --help             show this help

Exit status: 0 a decision was made, 2 the input could not be used (the
message says why), 1 the evaluator failed.
Settings: POLICY_DIR, DISCOVERY_FILE and PUBLIC_BASE_URL as for the service.
`;

export interface CliIo {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean | undefined; readonly columns?: number | undefined };
  readonly stderr: { write(s: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a file, or standard input for "-". */
  readonly readInput: (path: string) => string;
  readonly now?: () => Date;
  /** Asks without echo on a terminal (hash-password); undefined when standard input is not a terminal. */
  readonly askSecret?: ((prompt: string) => Promise<string>) | undefined;
}

/** The command line: returns the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        hook: { type: 'string' },
        order: { type: 'string', multiple: true },
        'crd-version': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`tecartus-cds: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (command === 'hash-password') {
    if (file !== undefined) {
      io.stderr.write(`tecartus-cds: hash-password takes no arguments (it reads the password)\n\n${HASH_PASSWORD_USAGE}`);
      return 2;
    }
    return runHashPassword({ stdout: io.stdout, stderr: io.stderr, readStdin: () => io.readInput('-'), askSecret: io.askSecret });
  }
  if (command !== 'evaluate' || file === undefined || extra.length > 0) {
    io.stderr.write(`tecartus-cds: ${command === undefined ? 'no command given' : command !== 'evaluate' ? `unknown command "${command}"` : file === undefined ? 'evaluate needs a file (or - for standard input)' : `unexpected arguments: ${extra.join(' ')}`}\n\n${USAGE}`);
    return 2;
  }
  const hook = values.hook ?? 'order-sign';
  const crdVersion = values['crd-version'];
  if (hook !== 'order-sign' && hook !== 'order-select') {
    io.stderr.write(`tecartus-cds: --hook must be order-sign or order-select, not "${hook}"\n`);
    return 2;
  }
  if (crdVersion !== undefined && crdVersion !== '2.0' && crdVersion !== '2.2') {
    io.stderr.write(`tecartus-cds: --crd-version must be 2.0 or 2.2, not "${crdVersion}"\n`);
    return 2;
  }

  try {
    const source = file === '-' ? 'standard input' : file;
    let text: string;
    try {
      text = io.readInput(file);
    } catch (error) {
      throw new CliInputError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    const input = readEvaluatorInput(text, source);
    if (input.kind === 'request' && (values.hook !== undefined || values.order !== undefined || crdVersion !== undefined)) {
      throw new CliInputError('--hook, --order and --crd-version apply to a Bundle; a CDS Hooks request already says its hook, orders and CRD version.');
    }
    const evaluation = await evaluateInput(input, { hook, orders: values.order, crdVersion }, dependencies(io));
    for (const note of evaluation.notes) io.stderr.write(`tecartus-cds: note: ${note}\n`);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(evaluation.result.response, null, 2)}\n`);
    } else {
      const width = Math.max(60, Math.min(io.stdout.isTTY ? (io.stdout.columns ?? 100) : 100, 120));
      io.stdout.write(formatEvaluation(evaluation, styleFor(io.stdout.isTTY, io.env), width));
    }
    return 0;
  } catch (error) {
    if (error instanceof CliInputError) {
      io.stderr.write(`tecartus-cds: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`tecartus-cds: the evaluator failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

function dependencies(io: CliIo): EvaluatorDependencies {
  const config = loadConfig(io.env as NodeJS.ProcessEnv);
  const policy = loadPolicy(config.policyDir);
  return {
    policy,
    // The same answer as the service: the coverage information names the DTR form.
    questionnaire: loadDtrContent(policy.definition, config.policyDir).questionnaireCanonical,
    discovery: loadDiscovery(config.discoveryFile),
    baseUrl: config.publicBaseUrl ?? `http://localhost:${config.port}`,
    now: io.now ?? (() => new Date()),
  };
}

/** Reads a file, or all of standard input for "-". */
export function readInputFile(path: string): string {
  return readFileSync(path === '-' ? 0 : path, 'utf8');
}
