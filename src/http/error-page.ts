import type { Response } from 'express';
import type { OperationOutcome } from 'fhir/r4.js';

/**
 * How a failure is shown on a page for people (the reviewer's page): given
 * the status the error handler chose and the OperationOutcome, it sends an
 * HTML answer. Routes for machines set none and get the OperationOutcome.
 */
export type ErrorPage = (res: Response, status: number, outcome: OperationOutcome) => void | Promise<void>;

const KEY = 'errorPage';

export function setErrorPage(res: Response, page: ErrorPage): void {
  res.locals[KEY] = page;
}

export function errorPageOf(res: Response): ErrorPage | undefined {
  return res.locals[KEY] as ErrorPage | undefined;
}
