import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodeSet, CodeSystemAliases } from '../../src/fhir/code-set.js';
import { codingsOf, ndcTo11Digit, normalizedForms, textsOf } from '../../src/fhir/codes.js';

describe('ndcTo11Digit: every NDC layout names one 11-digit (5-4-2) billing code', () => {
  it('10-digit 4-4-2 with dashes pads the labeler', () => {
    assert.deepEqual(ndcTo11Digit('1234-5678-90'), ['01234567890']);
  });

  it('10-digit 5-3-2 with dashes pads the product (Tecartus 71287-219-02)', () => {
    assert.deepEqual(ndcTo11Digit('71287-219-02'), ['71287021902']);
  });

  it('10-digit 5-4-1 with dashes pads the package', () => {
    assert.deepEqual(ndcTo11Digit('12345-6789-1'), ['12345678901']);
  });

  it('11-digit 5-4-2 with dashes', () => {
    assert.deepEqual(ndcTo11Digit('71287-0219-02'), ['71287021902']);
  });

  it('11-digit without dashes', () => {
    assert.deepEqual(ndcTo11Digit('71287021902'), ['71287021902']);
  });

  it('10-digit without dashes is ambiguous: all three paddings, one of them the right one', () => {
    const forms = ndcTo11Digit('7128721902');
    assert.deepEqual(forms, ['07128721902', '71287021902', '71287219002']);
  });

  it('spaces are ignored in undashed codes', () => {
    assert.deepEqual(ndcTo11Digit('71287 0219 02'), ['71287021902']);
  });

  it('not an NDC: letters, too few or too many digits, an oversized segment', () => {
    for (const code of ['7128A-219-02', '712872190', '712870219021', '123456-219-02', '71287-21902-1', '71287-219-022', '', '--']) {
      assert.deepEqual(ndcTo11Digit(code), [], code);
    }
  });
});

describe('normalizedForms', () => {
  it('ICD-10-CM with or without the dot, in any case, is one code', () => {
    for (const code of ['C83.18', 'C8318', 'c83.18', ' C83.18 ']) assert.deepEqual(normalizedForms('icd10cm', code), ['C8318'], code);
  });

  it('ICD-10-CM seventh characters and placeholders keep their letters (T80.82XA)', () => {
    assert.deepEqual(normalizedForms('icd10cm', 't80.82xa'), ['T8082XA']);
  });

  it('ICD-10-PCS has no dot, but one sent with a dot still matches', () => {
    assert.deepEqual(normalizedForms('icd10pcs', 'XW033H7'), ['XW033H7']);
    assert.deepEqual(normalizedForms('icd10pcs', 'xw0.33h7'), ['XW033H7']);
  });

  it('HCPCS and CPT are upper-cased', () => {
    assert.deepEqual(normalizedForms('hcpcs', 'q2053'), ['Q2053']);
    assert.deepEqual(normalizedForms('cpt', '0540t'), ['0540T']);
  });

  it('SNOMED CT and RxNorm are kept as written (trimmed)', () => {
    assert.deepEqual(normalizedForms('snomed', ' 443487006 '), ['443487006']);
    assert.deepEqual(normalizedForms('rxnorm', '2387347'), ['2387347']);
  });

  it('NDC goes through ndcTo11Digit', () => {
    assert.deepEqual(normalizedForms('ndc', '71287-219-02'), ['71287021902']);
  });
});

describe('CodeSet matching (code systems by any of their URIs, code families by prefix)', () => {
  const aliases = new CodeSystemAliases({
    icd10cm: ['http://hl7.org/fhir/sid/icd-10-cm'],
    hcpcs: ['http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', 'https://bluebutton.cms.gov/resources/codesystem/hcpcs'],
    ndc: ['http://hl7.org/fhir/sid/ndc'],
  });
  const set = new CodeSet(
    'test',
    aliases,
    [
      { system: 'hcpcs', code: 'Q2053', display: 'Tecartus' },
      { system: 'ndc', code: '71287-219-02', display: 'Tecartus package' },
    ],
    [{ system: 'icd10cm', code: 'C83.1', display: 'Mantle cell lymphoma (C83.1-)' }],
  );

  it('an ICD-10-CM family matches its codes with and without the dot', () => {
    for (const code of ['C83.10', 'C8318', 'C83.1A', 'c83.19']) assert.ok(set.match({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code }), code);
  });

  it('a neighbouring ICD-10-CM code does not match the family', () => {
    for (const code of ['C83.0', 'C83.30', 'C83', 'C84.1']) assert.equal(set.match({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code }), undefined, code);
  });

  it('a system URI matches regardless of case and a trailing slash', () => {
    assert.ok(set.match({ system: 'https://BlueButton.cms.gov/resources/codesystem/hcpcs/', code: 'Q2053' }));
  });

  it('a code under an unknown system, or without a system, does not match', () => {
    assert.equal(set.match({ system: 'http://example.org/codes', code: 'Q2053' }), undefined);
    assert.equal(set.match({ code: 'Q2053' }), undefined);
  });

  it('an NDC matches in any layout', () => {
    for (const code of ['71287-219-02', '71287-0219-02', '71287021902', '7128721902']) assert.ok(set.match({ system: 'http://hl7.org/fhir/sid/ndc', code }), code);
  });

  it('matchAny finds the first matching coding and says which entry matched', () => {
    const m = set.matchAny([{ system: 'http://example.org', code: 'x' }, { system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'Q2053' }]);
    assert.equal(m?.entry.display, 'Tecartus');
    assert.equal(m?.coding.code, 'Q2053');
  });
});

describe('codingsOf and textsOf', () => {
  it('collect the codings of several concepts, skipping missing ones', () => {
    assert.deepEqual(codingsOf({ coding: [{ code: 'a' }] }, undefined, { text: 'no codings' }, { coding: [{ code: 'b' }, { code: 'c' }] }), [{ code: 'a' }, { code: 'b' }, { code: 'c' }]);
  });

  it('collect the text and the displays', () => {
    assert.deepEqual(textsOf({ text: 'Tecartus', coding: [{ display: 'brexucabtagene autoleucel' }, { code: 'x' }] }, undefined), ['Tecartus', 'brexucabtagene autoleucel']);
  });
});
