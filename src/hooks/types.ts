import type { FhirResource } from 'fhir/r4.js';

/**
 * CDS Hooks 2.0 (HL7 STU2, 2.0.1) response and discovery types, written from
 * the specification's tables (there is no maintained npm package for them).
 * Request types are derived from the zod schema in request-schema.ts.
 */

/** CDS Hooks' own trimmed Coding: `display` is required in overrideReasons. */
export interface CdsCoding {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
}

export type CdsIndicator = 'info' | 'warning' | 'critical';

export interface CdsSource {
  readonly label: string;
  readonly url?: string;
  readonly icon?: string;
  /** CRD resp-5: a code from the CRD card-type value set. */
  readonly topic?: CdsCoding;
}

export interface CdsLink {
  readonly label: string;
  readonly url: string;
  readonly type: 'absolute' | 'smart';
  readonly appContext?: string;
  readonly autolaunchable?: boolean;
}

export interface CdsAction {
  readonly type: 'create' | 'update' | 'delete';
  /** Required by CDS Hooks 2.0 and checked by the Inferno CRD test kit on systemActions too. */
  readonly description: string;
  readonly resource?: FhirResource;
  readonly resourceId?: string;
}

export interface CdsSuggestion {
  readonly label: string;
  readonly uuid?: string;
  readonly isRecommended?: boolean;
  readonly actions?: readonly CdsAction[];
}

export interface CdsCard {
  readonly uuid?: string;
  /** Under 140 characters. */
  readonly summary: string;
  /** GitHub-flavoured markdown. */
  readonly detail?: string;
  readonly indicator: CdsIndicator;
  readonly source: CdsSource;
  readonly suggestions?: readonly CdsSuggestion[];
  readonly selectionBehavior?: 'at-most-one' | 'any';
  readonly overrideReasons?: readonly CdsCoding[];
  readonly links?: readonly CdsLink[];
  readonly extension?: Readonly<Record<string, unknown>>;
}

export interface CdsResponse {
  readonly cards: readonly CdsCard[];
  readonly systemActions?: readonly CdsAction[];
}

export interface CdsService {
  readonly hook: string;
  readonly title?: string;
  readonly description: string;
  readonly id: string;
  readonly prefetch?: Readonly<Record<string, string>>;
  readonly usageRequirements?: string;
  readonly extension?: Readonly<Record<string, unknown>>;
}

export interface CdsDiscoveryResponse {
  readonly services: readonly CdsService[];
}
