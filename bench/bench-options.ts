import { parseArgs } from 'node:util';

/** How long and how hard the bench runs. The defaults are the run the README quotes. */
export interface BenchOptions {
  /** Seconds each measured load run lasts. */
  readonly durationSeconds: number;
  /** Seconds of unrecorded load before a scenario's rounds. */
  readonly warmUpSeconds: number;
  /** Rounds per scenario; each round loads the service then the baseline, and the medians are reported. */
  readonly rounds: number;
  /** Concurrent connections for the throughput scenarios. */
  readonly connections: number;
  /** Typical requests between the two RSS readings. */
  readonly memoryRequests: number;
  /** Scenarios to run (all unless --only). */
  readonly only?: ReadonlySet<string> | undefined;
  /** When set, the service writes a V8 CPU profile here (node --cpu-prof). */
  readonly profileDir?: string | undefined;
  /** Exit with code 1 when a target is missed. */
  readonly strict: boolean;
}

const HELP = `npm run bench [-- options]
  --duration <s>          seconds per measured run (BENCH_DURATION, default 10)
  --warm-up <s>           seconds of unrecorded load before each scenario (BENCH_WARM_UP, default 3)
  --rounds <n>            service/baseline rounds per scenario, medians reported (BENCH_ROUNDS, default 3)
  --connections <n>       connections for the throughput scenarios (BENCH_CONNECTIONS, default 16)
  --memory-requests <n>   typical requests between the RSS readings (BENCH_MEMORY_REQUESTS, default 100000)
  --quick                 a short run: --duration 2 --warm-up 1 --rounds 1 --memory-requests 10000
  --only <a,b>            scenarios: typical,large,no-tecartus,dtr-package,fhir,jwt,slope,memory,fhir-latency,validation,memo
  --profile <dir>         the service writes a CPU profile (.cpuprofile) there when it stops, the baseline in <dir>/baseline
  --strict                exit with code 1 when a target is missed`;

export function readBenchOptions(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      'warm-up': { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      'memory-requests': { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'string' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick;
  const number = (flag: string | undefined, variable: string, normal: number, short: number): number => {
    const raw = flag ?? env[variable];
    if (raw === undefined || raw === '') return quick ? short : normal;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${variable} / --${variable.slice(6).toLowerCase().replace(/_/g, '-')} must be a positive number, not "${raw}"`);
    return n;
  };
  const only = values.only ?? env['BENCH_ONLY'];
  return {
    durationSeconds: number(values.duration, 'BENCH_DURATION', 10, 2),
    warmUpSeconds: number(values['warm-up'], 'BENCH_WARM_UP', 3, 1),
    rounds: Math.round(number(values.rounds, 'BENCH_ROUNDS', 3, 1)),
    connections: Math.round(number(values.connections, 'BENCH_CONNECTIONS', 16, 16)),
    memoryRequests: Math.round(number(values['memory-requests'], 'BENCH_MEMORY_REQUESTS', 100_000, 10_000)),
    only: only ? new Set(only.split(',').map((s) => s.trim())) : undefined,
    profileDir: values.profile ?? env['BENCH_PROFILE'],
    strict: values.strict || env['BENCH_STRICT'] === 'true',
  };
}
