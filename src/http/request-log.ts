import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { failureOf } from './answer-failure.js';
import { cdsClientOf } from './cds-client.js';
import { fhirApiClientOf } from './fhir-api-client.js';

/**
 * One structured line per answered request that did not succeed (successful
 * hook calls are logged by the hook route with their decisions): method,
 * path, service, hookInstance, client `iss`, status, duration, and the
 * OperationOutcome's issue codes and field paths. Never the body, the
 * headers or the outcome's text (which may quote the request).
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const status = res.statusCode;
      // Answered requests are logged at debug only: at info (the default) there is no line to build.
      if (status < 400 && !logger.isLevelEnabled('debug')) return;
      const failure = failureOf(res);
      const line = {
        event: 'http',
        method: req.method,
        path: req.path.slice(0, 200),
        serviceId: serviceOf(req),
        hookInstance: hookInstanceOf(req),
        iss: cdsClientOf(res)?.iss ?? fhirApiClientOf(res)?.iss,
        status,
        outcome: status < 400 ? 'answered' : status < 500 ? 'refused' : 'failed',
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        reasons: failure?.codes,
        fields: failure && failure.expressions.length > 0 ? failure.expressions : undefined,
      };
      if (status >= 500) logger.warn(line, 'request failed');
      else if (status >= 400) logger.info(line, 'request refused');
      else logger.debug(line, 'request answered');
    });
    next();
  };
}

function serviceOf(req: Request): string | undefined {
  const match = /^\/cds-services\/([^/]{1,100})/.exec(req.path);
  return match?.[1];
}

/** The hookInstance the client sent, when the body held one (a UUID by the spec; capped for safety). */
function hookInstanceOf(req: Request): string | undefined {
  const body: unknown = req.body;
  if (body === null || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)['hookInstance'];
  return typeof value === 'string' && /^[\w.:-]{1,100}$/.test(value) ? value : undefined;
}
