import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedTokens, readOrganizationFilter, tokenMatches } from '../../../src/pas/subscriptions/organization-filter.js';

const NPI = 'http://hl7.org/fhir/sid/us-npi';

describe('The PAS subscription filter: org-identifier = [sending system identifier] (PAS spec-64)', () => {
  it('reads the IG example and its variants', () => {
    assert.deepEqual(readOrganizationFilter('org-identifier=1234567893'), { tokens: ['1234567893'] });
    assert.deepEqual(readOrganizationFilter('org-identifier=N123456,4543315'), { tokens: ['N123456', '4543315'] });
    assert.deepEqual(readOrganizationFilter(`orgIdentifier=${NPI}|1234567893`), { tokens: [`${NPI}|1234567893`] });
    assert.deepEqual(readOrganizationFilter('identifier = 1234567893'), { tokens: ['1234567893'] });
    assert.deepEqual(readOrganizationFilter(`ClaimResponse?org-identifier=${encodeURIComponent(`${NPI}|1234567893`)}`), { tokens: [`${NPI}|1234567893`] });
    assert.deepEqual(readOrganizationFilter('org-identifier=A,A'), { tokens: ['A'] });
  });

  for (const [criteria, problem] of [
    ['patient=Patient/1', /must be org-identifier=/],
    ['org-identifier=', /no empty entries/],
    ['org-identifier=a,,b', /no empty entries/],
    ['org-identifier=a|b|c', /more than one "\|"/],
    ['org-identifier=a&org-identifier=b', /one parameter/],
    ['org-identifier=%E0%A4%A', /no empty entries/],
    [`org-identifier=${Array.from({ length: 21 }, (_, i) => i).join(',')}`, /at most 20/],
  ] as const) {
    it(`refuses ${criteria.slice(0, 40)}`, () => {
      const reading = readOrganizationFilter(criteria);
      assert.ok('problem' in reading);
      assert.match(reading.problem, problem);
    });
  }

  it('matches tokens as FHIR search does: system|value, a bare value in any system, |value without a system', () => {
    assert.equal(tokenMatches(`${NPI}|1234567893`, { system: NPI, value: '1234567893' }), true);
    assert.equal(tokenMatches(`${NPI}|1234567893`, { system: 'urn:other', value: '1234567893' }), false);
    assert.equal(tokenMatches(`${NPI}|1234567893`, { value: '1234567893' }), false);
    assert.equal(tokenMatches('1234567893', { system: 'urn:other', value: '1234567893' }), true);
    assert.equal(tokenMatches('|1234567893', { value: '1234567893' }), true);
    assert.equal(tokenMatches('|1234567893', { system: NPI, value: '1234567893' }), false);
    assert.equal(tokenMatches('1234567893', { system: NPI }), false);
  });

  it('keeps what the clients file lists for the client, narrowing a bare value to the listed system (PAS spec-65)', () => {
    assert.deepEqual(allowedTokens([`${NPI}|1`], [`${NPI}|1`]), { tokens: [`${NPI}|1`] });
    assert.deepEqual(allowedTokens(['1'], [`${NPI}|1`]), { tokens: [`${NPI}|1`] });
    assert.deepEqual(allowedTokens([`${NPI}|1`], ['1']), { tokens: [`${NPI}|1`] });
    assert.deepEqual(allowedTokens(['1'], ['1']), { tokens: ['1'] });
    assert.deepEqual(allowedTokens(['1', '2'], [`${NPI}|1`]), { refused: ['2'] });
    assert.deepEqual(allowedTokens([`urn:other|1`], [`${NPI}|1`]), { refused: ['urn:other|1'] });
    assert.deepEqual(allowedTokens(['1'], []), { refused: ['1'] });
  });
});
