import type { Library, Questionnaire, ValueSet } from 'fhir/r4.js';
import type { PolicyDefinition } from '../policy/policy-definition.js';
import type { DtrArtifacts } from './dtr-artifacts.js';
import { elmIncludes, elmValueSets } from './elm.js';
import { libraryResource, libraryUrl } from './library.js';
import { valueSetsForElm } from './value-sets.js';

/**
 * What a questionnaire package Bundle holds for this policy, in the order DTR
 * oper-12 asks: the Questionnaire first, every Library it uses (cqf-library)
 * and, recursively, every library those depend on, then every ValueSet. The
 * draft QuestionnaireResponse (oper-18) depends on the request and is not
 * built here.
 */
export interface PackageContents {
  readonly questionnaire: Questionnaire;
  readonly libraries: readonly Library[];
  readonly valueSets: readonly ValueSet[];
}

export function packageContents(policy: PolicyDefinition, artifacts: DtrArtifacts, expandedAt: string): PackageContents {
  const { canonicalBase } = artifacts.manifest;
  const settings = { canonicalBase, codeFamilies: artifacts.codeFamilies, expandedAt };
  const byName = new Map(artifacts.libraries.map((l) => [l.name, l]));
  const valueSets = new Map<string, ValueSet>();
  const libraries = artifacts.libraries.map((source) => {
    const includes = elmIncludes(source.elm).map((include) => {
      const target = byName.get(include.name);
      if (!target || target.version !== include.version) {
        throw new Error(`library ${source.name} includes ${include.name} version ${include.version ?? '(none)'}, which dtr/manifest.json does not provide`);
      }
      return `${libraryUrl(canonicalBase, target.name)}|${target.version}`;
    });
    const declared = elmValueSets(source.elm);
    for (const valueSet of valueSetsForElm(policy, declared, settings)) valueSets.set(valueSet.url!, valueSet);
    // valueSetsForElm has checked each URL is a policy code set's and each version the policy's.
    const valueSetCanonicals = declared.map((d) => `${d.url}|${d.version}`);
    return libraryResource(source, { canonicalBase, publisher: policy.payer.name, date: policy.effectiveDate, dependsOn: [...includes, ...valueSetCanonicals] });
  });
  return { questionnaire: artifacts.questionnaire, libraries, valueSets: [...valueSets.values()] };
}
