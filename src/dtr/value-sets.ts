import type { ValueSet, ValueSetComposeInclude, ValueSetExpansionContains } from 'fhir/r4.js';
import type { CodeSystemKey } from '../fhir/codes.js';
import type { CodeSetName, PolicyDefinition } from '../policy/policy-definition.js';
import type { CodeFamilies } from './dtr-artifacts.js';

/**
 * R4 ValueSets built from the policy's code sets (policy.json), so the codes a
 * DTR client's CQL looks for are the codes the policy engine looks for. One
 * ValueSet version per policy version (DTR oper-16: references are
 * version-specific); each is expanded (DTR oper-15: expansions under 40 codes
 * SHALL be included).
 */
export interface ValueSetSettings {
  readonly canonicalBase: string;
  /** ICD-10-CM code families named by prefix in policy.json, listed in full (dtr/icd10cm-code-families.json). */
  readonly codeFamilies: CodeFamilies;
  /** expansion.timestamp: when the package is built (oper-15: "expanded as of the current date"). */
  readonly expandedAt: string;
}

/** One member of a code set, with its code system's canonical URI. */
export interface ValueSetConcept {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

export function valueSetId(policy: PolicyDefinition, codeSetName: CodeSetName): string {
  return `${policy.id}-${kebabCase(codeSetName)}`;
}

export function valueSetUrl(policy: PolicyDefinition, codeSetName: CodeSetName, canonicalBase: string): string {
  return `${canonicalBase}/ValueSet/${valueSetId(policy, codeSetName)}`;
}

/** The code set a ValueSet URL was built from, if any. */
export function codeSetNameOf(policy: PolicyDefinition, url: string, canonicalBase: string): CodeSetName | undefined {
  return codeSetNames(policy).find((name) => valueSetUrl(policy, name, canonicalBase) === url);
}

/**
 * The members of a code set: its codes, then every billable code of each
 * ICD-10-CM family it names by prefix. Each code under its code system's
 * first (canonical) URI in policy.json; duplicates once.
 */
export function codeSetConcepts(policy: PolicyDefinition, codeSetName: CodeSetName, codeFamilies: CodeFamilies): ValueSetConcept[] {
  const set = policy.codeSets[codeSetName];
  const out: ValueSetConcept[] = [];
  const seen = new Set<string>();
  const add = (system: CodeSystemKey, code: string, display: string) => {
    const uri = canonicalUri(policy, system);
    const key = `${uri}|${code}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ system: uri, code, display });
  };
  for (const entry of set.codes) add(entry.system, entry.code, entry.display);
  for (const prefix of set.prefixes) {
    const family = prefix.system === 'icd10cm' ? codeFamilies[prefix.code] : undefined;
    if (!family) throw new Error(`code set ${codeSetName}: no code family listed for ${prefix.system} ${prefix.code}- (dtr/icd10cm-code-families.json)`);
    for (const member of family) {
      if (!undotted(member.code).startsWith(undotted(prefix.code))) {
        throw new Error(`code family ${prefix.code}-: ${member.code} does not start with ${prefix.code}`);
      }
      add(prefix.system, member.code, member.display);
    }
  }
  return out;
}

export function codeSetValueSet(policy: PolicyDefinition, codeSetName: CodeSetName, settings: ValueSetSettings): ValueSet {
  const set = policy.codeSets[codeSetName];
  const concepts = codeSetConcepts(policy, codeSetName, settings.codeFamilies);
  const include: ValueSetComposeInclude[] = [];
  for (const concept of concepts) {
    let group = include.find((i) => i.system === concept.system);
    if (!group) {
      group = { system: concept.system, concept: [] };
      include.push(group);
    }
    group.concept!.push({ code: concept.code, display: concept.display });
  }
  const families = set.prefixes.map((p) => `${p.code}-`);
  const contains: ValueSetExpansionContains[] = concepts.map((c) => ({ system: c.system, code: c.code, display: c.display }));
  return {
    resourceType: 'ValueSet',
    id: valueSetId(policy, codeSetName),
    url: valueSetUrl(policy, codeSetName, settings.canonicalBase),
    version: policy.version,
    name: pascalCase(`${policy.id}-${kebabCase(codeSetName)}`),
    title: `${policy.title}: ${set.label}`,
    status: 'active',
    experimental: false,
    date: policy.effectiveDate,
    publisher: policy.payer.name,
    description:
      `Codes for ${set.label} under the ${policy.documentTitle} (effective ${policy.effectiveDate}), from the policy's code set "${codeSetName}".` +
      (families.length > 0 ? ` The ICD-10-CM code families ${families.join(', ')} are listed code by code.` : ''),
    compose: { include },
    expansion: { timestamp: settings.expandedAt, total: contains.length, contains },
  };
}

/** The ValueSets a library's ELM declares, each built from its code set; an unknown URL or version is an error. */
export function valueSetsForElm(
  policy: PolicyDefinition,
  declared: readonly { name: string; url: string; version: string | undefined }[],
  settings: ValueSetSettings,
): ValueSet[] {
  return declared.map((d) => {
    const name = codeSetNameOf(policy, d.url, settings.canonicalBase);
    if (!name) throw new Error(`valueset "${d.name}" (${d.url}) is not one of the policy's code sets`);
    if (d.version !== policy.version) throw new Error(`valueset "${d.name}" names version ${d.version ?? '(none)'}, the policy is ${policy.version}`);
    return codeSetValueSet(policy, name, settings);
  });
}

function codeSetNames(policy: PolicyDefinition): CodeSetName[] {
  return Object.keys(policy.codeSets) as CodeSetName[];
}

function canonicalUri(policy: PolicyDefinition, system: CodeSystemKey): string {
  const uri = policy.codeSystems[system]?.[0];
  if (!uri) throw new Error(`policy.json codeSystems has no URI for ${system}`);
  return uri;
}

const undotted = (code: string) => code.replace(/\./g, '').toUpperCase();

/** carTProduct → car-t-product */
function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** carepartners-ct-tecartus-car-t-product → CarepartnersCtTecartusCarTProduct */
function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
