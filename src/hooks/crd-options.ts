import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { badRequestIssues, issue } from '../errors/outcomes.js';
import type { ConfigurationOption } from './discovery.js';

/** CRD versions this service answers in. */
export type CrdVersion = '2.0' | '2.2';

/** How the client asked to be answered: CRD version and `davinci-crd.configuration`. */
export interface CrdOptions {
  readonly version: CrdVersion;
  /** Boolean options by code (card types and coverage-info), defaults filled in. */
  readonly enabled: Readonly<Record<string, boolean>>;
  readonly maxCards: number;
}

/**
 * Reads `davinci-crd.requestedVersion` and `davinci-crd.configuration` from the
 * request extension. Answers take the 2.0.1 shape unless 2.2 is asked for.
 * Unknown settings are ignored (CRD dev-17); a known setting of the wrong type
 * is a client error worth telling the integrator about.
 */
export function readCrdOptions(extension: Readonly<Record<string, unknown>> | undefined, options: readonly ConfigurationOption[]): CrdOptions {
  const requested = extension?.['davinci-crd.requestedVersion'];
  const version: CrdVersion = typeof requested === 'string' && /^2\.2(\.\d+)?$/.test(requested.trim()) ? '2.2' : '2.0';
  const enabled: Record<string, boolean> = {};
  let maxCards = 10;
  for (const o of options) {
    if (o.type === 'boolean') enabled[o.code] = o.default as boolean;
    else if (o.code === 'max-cards') maxCards = o.default as number;
  }

  const configuration = extension?.['davinci-crd.configuration'];
  if (configuration === undefined) return { version, enabled, maxCards };
  if (configuration === null || typeof configuration !== 'object' || Array.isArray(configuration)) {
    throw badRequestIssues([issue('invalid', 'davinci-crd.configuration must be an object', ['extension.davinci-crd.configuration'])]);
  }
  const problems: OperationOutcomeIssue[] = [];
  for (const [code, value] of Object.entries(configuration)) {
    const option = options.find((o) => o.code === code);
    if (!option) continue;
    const path = [`extension.davinci-crd.configuration.${code}`];
    if (option.type === 'boolean') {
      if (typeof value === 'boolean') enabled[code] = value;
      else problems.push(issue('invalid', `davinci-crd.configuration.${code} must be true or false`, path));
    } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
      if (code === 'max-cards') maxCards = value;
    } else {
      problems.push(issue('invalid', `davinci-crd.configuration.${code} must be a whole number of 0 or more`, path));
    }
  }
  if (problems.length > 0) throw badRequestIssues(problems);
  return { version, enabled, maxCards };
}
