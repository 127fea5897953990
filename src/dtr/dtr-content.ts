import type { Library, Questionnaire, ValueSet } from 'fhir/r4.js';
import type { PolicyDefinition } from '../policy/policy-definition.js';
import { loadDtrArtifacts } from './dtr-artifacts.js';
import { packageContents } from './package-contents.js';

/**
 * The policy's DTR content, built once at start-up: the Questionnaire, its
 * Libraries (CQL and ELM, base64) and the ValueSets they use, with the
 * look-ups the FHIR endpoints need. Policy data: it changes with the policy's
 * version, never with a request.
 */
export interface DtrContent {
  readonly questionnaire: Questionnaire;
  /** `url|version`: how CRD and the package name it (DTR oper-16, CRD resp-38). */
  readonly questionnaireCanonical: string;
  readonly libraries: readonly Library[];
  readonly valueSets: readonly ValueSet[];
  /** When the package last changed (the policy's effective date): `changedsince` compares with it. */
  readonly lastChanged: Date;
}

export function loadDtrContent(policy: PolicyDefinition, policyDirectory: string): DtrContent {
  const artifacts = loadDtrArtifacts(policyDirectory);
  const contents = packageContents(policy, artifacts, `${policy.effectiveDate}T00:00:00Z`);
  const q = contents.questionnaire;
  if (!q.url || !q.version) throw new Error('the DTR Questionnaire needs a url and a version (DTR oper-16)');
  if (q.version !== policy.version) throw new Error(`the DTR Questionnaire's version ${q.version} is not the policy's ${policy.version}: they are versioned together`);
  return {
    questionnaire: q,
    questionnaireCanonical: `${q.url}|${q.version}`,
    libraries: contents.libraries,
    valueSets: contents.valueSets,
    lastChanged: new Date(`${policy.effectiveDate}T00:00:00Z`),
  };
}

/** A canonical (`url` or `url|version`) that names a resource of the content. */
export function matchesCanonical(canonical: string, resource: { url?: string | undefined; version?: string | undefined }): boolean {
  const [url, version] = canonical.split('|');
  return url === resource.url && (version === undefined || version === '' || version === resource.version);
}

/** A ValueSet as of now: DTR oper-5 and oper-15, expanded as of the current date (the codes themselves change only with the policy). */
export function expandedNow(valueSet: ValueSet, now: Date): ValueSet {
  return { ...valueSet, expansion: { ...valueSet.expansion!, timestamp: now.toISOString() } };
}
