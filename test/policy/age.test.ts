import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPatient, buildTecartusOrder } from '../support/fhir-factories.js';
import { createTestApp } from '../support/test-app.js';
import { judge } from './judge.js';

const { app } = createTestApp();
// The order is authored on 2026-06-15 (fhir-factories ORDER_DATE).

describe('Criterion 2: the member is 18 years of age or older (on the planned date of service, else the order date)', () => {
  it('under 18 on the order date but 18 on the planned infusion date (dosage timing event) is not under 18', async () => {
    const order = buildTecartusOrder({ dosageInstruction: [{ text: 'Single IV infusion', timing: { event: ['2026-07-02'] } }] });
    const { info, cards } = await judge(app, { patient: buildPatient({ birthDate: '2008-07-01' }) }, order);
    assert.equal(info.covered, 'covered');
    assert.ok(!info.reasons.includes('age-under-18'));
    assert.ok(!cards.some((c) => /under age 18/.test(c.summary)));
  });

  it('the planned date in the timing bounds counts too, and a planned date before the 18th birthday is still under 18', async () => {
    const planned = (start: string) => buildTecartusOrder({ dosageInstruction: [{ timing: { repeat: { count: 1, boundsPeriod: { start, end: start } } } }] });
    assert.equal((await judge(app, { patient: buildPatient({ birthDate: '2008-07-01' }) }, planned('2026-07-01'))).info.covered, 'covered');
    const young = await judge(app, { patient: buildPatient({ birthDate: '2008-07-01' }) }, planned('2026-06-30'));
    assert.equal(young.info.covered, 'not-covered');
    assert.match(young.findings[0]!.summary, /the patient is 17 on the planned infusion date/);
  });

  it('a patient who is 16 on the order date is not covered, and the card gives the age', async () => {
    const { info, findings } = await judge(app, { patient: buildPatient({ birthDate: '2010-01-20' }) });
    assert.equal(info.covered, 'not-covered');
    assert.equal(info.paNeeded, undefined);
    assert.ok(info.reasons.includes('age-under-18'));
    assert.equal(findings[0]!.summary, 'Tecartus is not covered under age 18: the patient is 16 on the order date');
    assert.match(findings[0]!.detail, /Patient birth date 2010-01-20, age 16 on the order date 2026-06-15/);
    assert.match(findings[0]!.detail, /fax the request .* to 617-673-0956/, 'a not-covered card still says how to request PA');
    assert.ok(findings[0]!.overrideReasons.some((r) => r.code === 'planned-after-18th-birthday'), 'the planned-after-18 override reason is offered');
  });

  it('a patient whose 18th birthday is the order date is covered', async () => {
    const { info } = await judge(app, { patient: buildPatient({ birthDate: '2008-06-15' }) });
    assert.equal(info.covered, 'covered');
  });

  it('a patient who turns 18 the day after the order date is under 18', async () => {
    const { info } = await judge(app, { patient: buildPatient({ birthDate: '2008-06-16' }) });
    assert.equal(info.covered, 'not-covered');
    assert.ok(info.reasons.includes('age-under-18'));
  });

  it('a patient born on 29 February turns 18 on 1 March in a common year', async () => {
    const onFeb28 = await judge(app, { patient: buildPatient({ birthDate: '2008-02-29' }) }, buildTecartusOrder({ authoredOn: '2026-02-28' }));
    assert.ok(onFeb28.info.reasons.includes('age-under-18'));
    const onMar1 = await judge(app, { patient: buildPatient({ birthDate: '2008-02-29' }) }, buildTecartusOrder({ authoredOn: '2026-03-01' }));
    assert.equal(onMar1.info.covered, 'covered');
  });

  it('the order date is the date the order was authored, as written (a late-evening dateTime stays on its day)', async () => {
    const { info } = await judge(app, { patient: buildPatient({ birthDate: '2008-06-16' }) }, buildTecartusOrder({ authoredOn: '2026-06-15T23:30:00-05:00' }));
    assert.ok(info.reasons.includes('age-under-18'));
  });

  it('a year-only birth date that settles the question is enough (born 1950)', async () => {
    const { info } = await judge(app, { patient: buildPatient({ birthDate: '1950' }) });
    assert.equal(info.covered, 'covered');
  });

  it('a year-only birth date that cannot tell whether the patient is 18 gives age-unknown (conditional)', async () => {
    const { info, findings } = await judge(app, { patient: buildPatient({ birthDate: '2008' }) });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'age-unknown']);
    assert.match(findings[0]!.detail, /too incomplete/);
  });

  it('a year-month birth date that cannot tell gives age-unknown', async () => {
    const { info } = await judge(app, { patient: buildPatient({ birthDate: '2008-06' }) });
    assert.ok(info.reasons.includes('age-unknown'));
  });

  it('a year-month birth date that shows the patient is under 18 is not covered', async () => {
    const { info } = await judge(app, { patient: buildPatient({ birthDate: '2009-01' }) });
    assert.ok(info.reasons.includes('age-under-18'));
  });

  it('a missing birth date gives age-unknown', async () => {
    const { birthDate: _omit, ...noBirthDate } = buildPatient();
    const { info, findings } = await judge(app, { patient: noBirthDate });
    assert.deepEqual(info.reasons, ['pa-required', 'age-unknown']);
    assert.match(findings[0]!.detail, /no birth date/);
  });

  it('no Patient resource (prefetch null: the EHR has none) gives age-unknown, not an error', async () => {
    const { info } = await judge(app, { patient: null });
    assert.deepEqual(info.reasons, ['pa-required', 'age-unknown']);
  });

  it('an order without authoredOn is judged on the day of the call in the plan\'s time zone (America/New_York)', async () => {
    // 2026-06-16T02:00Z is still 15 June in Connecticut.
    const late = createTestApp({}, { now: () => new Date('2026-06-16T02:00:00Z') }).app;
    const { authoredOn: _omit, ...undated } = buildTecartusOrder();
    const under = await judge(late, { patient: buildPatient({ birthDate: '2008-06-16' }) }, undated);
    assert.ok(under.info.reasons.includes('age-under-18'));
    const next = createTestApp({}, { now: () => new Date('2026-06-16T05:00:00Z') }).app;
    const adult = await judge(next, { patient: buildPatient({ birthDate: '2008-06-16' }) }, undated);
    assert.equal(adult.info.covered, 'covered');
  });
});
