/** Input the evaluator cannot decide on: the message goes to stderr and the exit code is 2. */
export class CliInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliInputError';
  }
}
