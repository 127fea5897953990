import { hashPassword } from '../review/password-hash.js';

export const HASH_PASSWORD_USAGE = `Usage: tecartus-cds hash-password

Reads a password (typed twice, hidden, on a terminal; otherwise the first
line of standard input) and prints its scrypt hash, the passwordHash of an
account in REVIEWERS_FILE (the reviewer's page, docs/pas.md):

  [ { "username": "jdoe", "role": "reviewer", "passwordHash": "scrypt$32768$8$1$..." } ]

Exit status: 0 the hash was printed, 2 no usable password was given.
`;

/** Reviewers choose passwords long enough that guessing fails even with a copy of the file. */
export const MINIMUM_PASSWORD_LENGTH = 12;

export interface HashPasswordIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  /** Standard input as text (piped). */
  readonly readStdin: () => string;
  /** On a terminal: asks without echo. Undefined when standard input is not a terminal. */
  readonly askSecret?: ((prompt: string) => Promise<string>) | undefined;
}

/** `tecartus-cds hash-password`: returns the exit status. */
export async function runHashPassword(io: HashPasswordIo): Promise<number> {
  let password: string;
  if (io.askSecret) {
    password = await io.askSecret('Password: ');
    const again = await io.askSecret('Again: ');
    if (password !== again) {
      io.stderr.write('tecartus-cds: the two passwords differ; nothing printed\n');
      return 2;
    }
  } else {
    password = io.readStdin().split(/\r?\n/)[0] ?? '';
  }
  if ([...password].length < MINIMUM_PASSWORD_LENGTH) {
    io.stderr.write(`tecartus-cds: the password must have at least ${MINIMUM_PASSWORD_LENGTH} characters\n`);
    return 2;
  }
  io.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}
