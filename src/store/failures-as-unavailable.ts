import { OperationOutcomeError } from '../errors/outcomes.js';
import type { Logger } from '../logger.js';
import { storeUnavailable } from './store-unavailable.js';

/**
 * The same store, whose failures reach the caller as a 503 OperationOutcome
 * (transient, Retry-After) logged once with the operation's name, instead of
 * an unexplained 500: a database that is down or locked is the service's
 * trouble, and the client should try again, not report a bug. An
 * OperationOutcomeError the store throws on purpose passes as it is.
 */
export function failuresAsUnavailable<T extends object>(store: T, logger: Logger, name: string): T {
  // Each method is wrapped once, on first use, not on every call.
  const wrapped = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      let method = wrapped.get(property);
      if (!method) {
        const operation = `${name}.${String(property)}`;
        method = (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          return result.catch((error: unknown) => {
            throw error instanceof OperationOutcomeError ? error : storeUnavailable(logger, error, operation);
          });
        };
        wrapped.set(property, method);
      }
      return method;
    },
  });
}
