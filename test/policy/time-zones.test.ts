import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildPatient, buildProcedure, buildTecartusOrder, cpt } from '../support/fhir-factories.js';
import { createTestApp } from '../support/test-app.js';
import { judge } from './judge.js';

/**
 * Ages, "prior" and the 90-day window are judged on calendar days as written
 * and on the plan's own time zone, so the machine's TZ must not change any
 * decision (fhirpath.js runs its suite under several zones for the same reason).
 */
const ZONES = ['UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/New_York'];
const original = process.env['TZ'];
after(() => {
  if (original === undefined) delete process.env['TZ'];
  else process.env['TZ'] = original;
});

/** `second` varies the times per zone: dates and the call day are remembered per input, so each zone must compute its own. */
async function dateSensitiveDecisions(second: number) {
  const s = String(second).padStart(2, '0');
  const { authoredOn: _omit, ...undated } = buildTecartusOrder();
  const late = createTestApp({}, { now: () => new Date(`2026-06-16T02:00:${s}Z`) }).app;
  const { app } = createTestApp();
  return {
    eighteenToday: (await judge(app, { patient: buildPatient({ birthDate: '2008-06-15' }) })).info.reasons,
    eighteenTomorrow: (await judge(app, { patient: buildPatient({ birthDate: '2008-06-16' }) })).info.reasons,
    lateEveningOrder: (await judge(app, { patient: buildPatient({ birthDate: '2008-06-16' }) }, buildTecartusOrder({ authoredOn: `2026-06-15T23:30:${s}-05:00` }))).info.reasons,
    callDayFallback: (await judge(late, { patient: buildPatient({ birthDate: '2008-06-16' }) }, undated)).info.reasons,
    harvest91DaysBefore: (await judge(app, { procedures: [buildProcedure({ code: cpt('38225'), performedDateTime: '2026-03-16' })] })).info.reasons,
    harvest90DaysBefore: (await judge(app, { procedures: [buildProcedure({ code: cpt('38225'), performedDateTime: '2026-03-17' })] })).info.reasons,
  };
}

describe('The machine\'s time zone changes no decision', () => {
  it('the same date-sensitive decisions come out under UTC+14, UTC-11 and New York', async () => {
    process.env['TZ'] = 'UTC';
    const expected = await dateSensitiveDecisions(0);
    assert.deepEqual(expected, {
      eighteenToday: ['pa-required'],
      eighteenTomorrow: ['pa-required', 'age-under-18'],
      lateEveningOrder: ['pa-required', 'age-under-18'],
      callDayFallback: ['pa-required', 'age-under-18'],
      harvest91DaysBefore: ['pa-required', 'possible-prior-car-t'],
      harvest90DaysBefore: ['pa-required'],
    });
    for (const [i, zone] of ZONES.entries()) {
      if (i === 0) continue;
      process.env['TZ'] = zone;
      assert.deepEqual(await dateSensitiveDecisions(i), expected, zone);
    }
  });
});
