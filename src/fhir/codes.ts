import type { CodeableConcept, Coding } from 'fhir/r4.js';

/**
 * Code normalisation. Claims-derived FHIR often writes ICD-10 codes without the
 * dot (C8310) and NDCs in any of the 10-digit dashed layouts or the 11-digit
 * billing form; all of these name the same concept and must match.
 */
export const CODE_SYSTEM_KEYS = ['icd10cm', 'icd10pcs', 'hcpcs', 'cpt', 'snomed', 'rxnorm', 'ndc', 'ncit', 'icdo3', 'loinc'] as const;

export type CodeSystemKey = (typeof CODE_SYSTEM_KEYS)[number];

/** Normalised forms under which a code may be indexed or looked up. */
export function normalizedForms(system: CodeSystemKey, code: string): string[] {
  const trimmed = code.trim();
  switch (system) {
    case 'icd10cm':
    case 'icd10pcs':
      return [trimmed.replace(/\./g, '').toUpperCase()];
    case 'hcpcs':
    case 'cpt':
      return [trimmed.toUpperCase()];
    case 'ndc':
      return ndcTo11Digit(trimmed);
    case 'icdo3':
      // ICD-O-3 morphology arrives as 9811/3 and as 98113.
      return [trimmed.replace(/\//g, '')];
    default:
      return [trimmed];
  }
}

/**
 * The 11-digit (5-4-2) forms of an NDC. Dashed 10-digit codes (4-4-2, 5-3-2,
 * 5-4-1) are padded in the short segment. A 10-digit code without dashes is
 * ambiguous, so all three paddings are returned.
 */
export function ndcTo11Digit(code: string): string[] {
  const parts = code.split('-');
  if (parts.length === 3 && parts.every((p) => /^\d+$/.test(p))) {
    const [a, b, c] = parts as [string, string, string];
    if (a.length <= 5 && b.length <= 4 && c.length <= 2) return [a.padStart(5, '0') + b.padStart(4, '0') + c.padStart(2, '0')];
    return [];
  }
  const digits = code.replace(/[\s-]/g, '');
  if (!/^\d+$/.test(digits)) return [];
  if (digits.length === 11) return [digits];
  if (digits.length === 10) {
    return [`0${digits}`, `${digits.slice(0, 5)}0${digits.slice(5)}`, `${digits.slice(0, 9)}0${digits.slice(9)}`];
  }
  return [];
}

/**
 * All codings of one or more CodeableConcepts. Defensive: concepts inside
 * resources the shapes do not describe (contained ones) may be malformed.
 */
export function codingsOf(...concepts: (CodeableConcept | undefined)[]): Coding[] {
  const out: Coding[] = [];
  for (const c of concepts) {
    if (!c || !Array.isArray(c.coding)) continue;
    for (const coding of c.coding) if (coding && typeof coding === 'object') out.push(coding);
  }
  return out;
}

/** Human text of a concept: its text and its codings' displays. */
export function textsOf(...concepts: (CodeableConcept | undefined)[]): string[] {
  const out: string[] = [];
  for (const c of concepts) {
    if (!c || typeof c !== 'object') continue;
    if (typeof c.text === 'string') out.push(c.text);
    for (const coding of codingsOf(c)) if (typeof coding.display === 'string') out.push(coding.display);
  }
  return out;
}
