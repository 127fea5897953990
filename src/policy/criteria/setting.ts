import type { CodeableConcept, Coding, Encounter } from 'fhir/r4.js';
import { codingsOf } from '../../fhir/codes.js';
import { referenceTo } from '../../fhir/references.js';
import { unavailableAmong, type AssessmentContext, type CriterionAssessment } from '../assessment-context.js';
import { evidenceRef, type Evidence } from '../decision.js';

type Setting = 'outpatient' | 'inpatient';

/**
 * "The Plan may cover Tecartus in an outpatient setting when the provider
 * attests ... that outpatient administration is clinically appropriate."
 * The setting is where the infusion will be given, not where the order is
 * signed (policy issue 10, rule 5): the order's own category first
 * (outpatient/community or inpatient), then the encounter's class (AMB,
 * observation and short stay are outpatient for Medicare; IMP, ACUTE, NONAC
 * inpatient; emergency, virtual and home health say nothing). An outpatient
 * order is conditional on the attestation; a setting nothing states is left
 * open (the prior authorization request states it).
 */
export function assessSetting(context: AssessmentContext): CriterionAssessment {
  const { policy, record } = context;
  const fromOrder = settingOfOrder(context);
  const fromEncounter = fromOrder ? undefined : record.encounter ? settingOfEncounter(context, record.encounter) : undefined;
  const found = fromOrder ?? fromEncounter;

  if (!found) {
    const blockedBy = unavailableAmong(context, ['encounter', 'order']);
    if (blockedBy.length > 0) return { result: { criterion: 'setting', status: 'unknown', finding: 'data-unavailable', evidence: [] }, findings: [], blockedBy };
    return { result: { criterion: 'setting', status: 'unknown', evidence: [] }, findings: [] };
  }
  const documented = { setting: { where: found.setting, evidence: evidenceRef(found.evidence) } };
  if (found.setting === 'inpatient') return { result: { criterion: 'setting', status: 'met', evidence: [found.evidence] }, findings: [], documented };
  const evidence = [found.evidence];
  return {
    documented,
    result: { criterion: 'setting', status: 'unknown', finding: 'outpatient-attestation', evidence },
    findings: [{ code: 'outpatient-attestation', determination: policy.definition.findings['outpatient-attestation'].determination, evidence, notes: [], facts: {} }],
  };
}

function settingOfOrder(context: AssessmentContext): { setting: Setting; evidence: Evidence } | undefined {
  const { policy, order } = context;
  const data = policy.definition.setting;
  const categories = ((order as { category?: CodeableConcept[] }).category ?? []).filter((c) => c && typeof c === 'object');
  for (const coding of codingsOf(...categories)) {
    if (coding.system !== undefined && coding.system !== data.orderCategorySystem) continue;
    const setting = data.outpatientCategories.includes(coding.code ?? '') ? 'outpatient' : data.inpatientCategories.includes(coding.code ?? '') ? 'inpatient' : undefined;
    if (setting) return { setting, evidence: { reference: referenceTo(order), description: `${referenceTo(order)}: order category ${coding.code}` } };
  }
  return undefined;
}

function settingOfEncounter(context: AssessmentContext, encounter: Encounter): { setting: Setting; evidence: Evidence } | undefined {
  const { policy } = context;
  const data = policy.definition.setting;
  // R4 has one class Coding; R5-style senders give CodeableConcepts, sometimes several.
  const raw = (encounter as { class?: unknown }).class;
  const classes: Coding[] = (Array.isArray(raw) ? raw : [raw]).flatMap((c) => {
    if (!c || typeof c !== 'object') return [];
    const concept = c as CodeableConcept & Coding;
    return Array.isArray(concept.coding) ? concept.coding : [concept];
  });
  const reference = referenceTo(encounter);
  for (const c of classes) {
    const code = typeof c.code === 'string' ? c.code.toUpperCase() : '';
    const standard = c.system === undefined || c.system === data.encounterClassSystem;
    const describe = (setting: Setting) => ({ setting, evidence: { reference, description: `Encounter class ${c.code}${c.display ? ` (${c.display})` : ''}: ${setting}` } });
    if (standard && data.outpatientClasses.includes(code)) return describe('outpatient');
    if (standard && data.inpatientClasses.includes(code)) return describe('inpatient');
    if (standard && data.silentClasses.includes(code)) continue;
    // A local class: its words say which it is.
    const words = [c.display, c.code].filter((w): w is string => typeof w === 'string');
    if (words.some((w) => policy.terms.outpatientSetting.test(w))) return describe('outpatient');
    if (words.some((w) => policy.terms.inpatientSetting.test(w))) return describe('inpatient');
  }
  return undefined;
}
