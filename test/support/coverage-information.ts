import type { Extension } from 'fhir/r4.js';

const EXT_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

type Json = Record<string, unknown>;

/** The coverage information a response attached to one order, read back as plain values. */
export interface CoverageInformationView {
  covered: string;
  paNeeded?: string;
  docNeeded: string[];
  docPurpose: string[];
  infoNeeded: string[];
  reasons: string[];
  assertionId: string;
  coverage: string;
  billingCodes: string[];
  raw: Extension;
}

export function coverageInformationFor(body: Json, orderReference: string): CoverageInformationView | undefined {
  const action = ((body['systemActions'] as Json[] | undefined) ?? []).find((a) => {
    const r = a['resource'] as Json | undefined;
    return r && `${String(r['resourceType'])}/${String(r['id'])}` === orderReference;
  });
  if (!action) return undefined;
  const ext = (((action['resource'] as Json)['extension'] as Extension[]) ?? []).find((e) => e.url === EXT_URL);
  if (!ext) return undefined;
  const subs = ext.extension ?? [];
  const codes = (url: string) => subs.filter((s) => s.url === url).map((s) => s.valueCode!);
  return {
    covered: codes('covered')[0]!,
    paNeeded: codes('pa-needed')[0],
    docNeeded: codes('doc-needed'),
    docPurpose: codes('doc-purpose'),
    infoNeeded: codes('info-needed'),
    reasons: subs.filter((s) => s.url === 'reason').map((s) => s.valueCodeableConcept!.coding![0]!.code!),
    assertionId: subs.find((s) => s.url === 'coverage-assertion-id')!.valueString!,
    coverage: subs.find((s) => s.url === 'coverage')!.valueReference!.reference!,
    billingCodes: subs.filter((s) => s.url === 'billingCode').map((s) => s.valueCoding!.code!),
    raw: ext,
  };
}

export interface CardView {
  summary: string;
  detail: string;
  indicator: string;
  topic: string;
  overrideReasons: { code: string; display?: string }[];
}

export function cardsOf(body: Json): CardView[] {
  return ((body['cards'] as Json[]) ?? []).map((c) => ({
    summary: c['summary'] as string,
    detail: (c['detail'] as string | undefined) ?? '',
    indicator: c['indicator'] as string,
    topic: ((c['source'] as Json)['topic'] as Json)['code'] as string,
    overrideReasons: ((c['overrideReasons'] as { code: string; display?: string }[] | undefined) ?? []).map(({ code, display }) => ({ code, display })),
  }));
}
