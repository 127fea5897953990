/**
 * One deadline for every FHIR query of a hook call. CRD found-2 wants the
 * whole answer within 5 seconds, so the queries share one budget counted from
 * the start of the call, not one budget each. Times are performance.now()
 * milliseconds.
 */
export class Deadline {
  #signal: AbortSignal | undefined;

  constructor(
    /** When the budget runs out (performance.now() time). */
    readonly endsAt: number,
    /** The whole budget, for messages ("within 3 seconds"). */
    readonly budgetMs: number,
  ) {}

  static after(startedAt: number, budgetMs: number): Deadline {
    return new Deadline(startedAt + budgetMs, budgetMs);
  }

  remainingMs(): number {
    return this.endsAt - performance.now();
  }

  get expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** Aborts when the deadline passes. Made on first use, so a call that queries nothing starts no timer. */
  get signal(): AbortSignal {
    return (this.#signal ??= AbortSignal.timeout(Math.max(0, Math.ceil(this.remainingMs()))));
  }
}
