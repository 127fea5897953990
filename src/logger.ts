import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. They carry ids, codes and timings only: never tokens,
 * names, birth dates, identifiers or resource bodies. The redaction list is a
 * second line of defence for anything that slips into a log call.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tecartus-cds' },
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'authorization',
          'fhirAuthorization',
          '*.fhirAuthorization',
          'access_token',
          '*.access_token',
          'token',
          '*.token',
          'body',
          '*.body',
          'prefetch',
          '*.prefetch',
        ],
        censor: '[REDACTED]',
      },
    },
    destination,
  );
}
