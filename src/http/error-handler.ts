import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { HttpError, outcome } from './operation-outcome.js';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
  limit?: number;
}

/**
 * The one error handler: every failure leaves as an OperationOutcome with a
 * clear message. Bad input is a 4xx, never a 500; only a fault of our own is a
 * 500, and it says nothing about the request.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof HttpError) {
      res.set(error.headers).status(error.status).json(error.outcome);
      return;
    }
    const e = (error ?? {}) as BodyParserError;
    switch (e.type) {
      case 'entity.parse.failed':
        res.status(400).json(outcome('invalid', `The request body is not valid JSON: ${String(e.message).slice(0, 200)}`));
        return;
      case 'entity.too.large':
        res.status(413).json(outcome('too-costly', `The request body is larger than the ${e.limit ?? ''} byte limit.`.replace('  ', ' ')));
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        res.status(415).json(outcome('not-supported', `Unsupported request encoding: ${String(e.message).slice(0, 200)}`));
        return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json(outcome('invalid', e.expose && e.message ? e.message.slice(0, 200) : 'The request could not be processed.'));
      return;
    }
    logger.error({ err: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error), path: req.path }, 'unhandled error');
    res.status(500).json(outcome('exception', 'The service failed to process this request. The failure has been logged.'));
  };
}
