import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ageOn,
  ageRangeOn,
  compareDays,
  dayIn,
  daysBetween,
  earliestDay,
  formatDay,
  formatPartialDate,
  isFullDay,
  latestDay,
  parseDay,
  parseFhirDate,
  type Day,
} from '../../src/fhir/dates.js';

const day = (s: string): Day => {
  const d = parseDay(s);
  assert.ok(d, s);
  return d;
};

describe('parseFhirDate: FHIR date and dateTime, with the precision written', () => {
  it('year only', () => {
    assert.deepEqual(parseFhirDate('1961'), { year: 1961 });
  });

  it('year and month', () => {
    assert.deepEqual(parseFhirDate('1961-03'), { year: 1961, month: 3 });
  });

  it('full date', () => {
    assert.deepEqual(parseFhirDate('1961-03-14'), { year: 1961, month: 3, day: 14 });
  });

  it('a dateTime is the calendar day as written, whatever its offset', () => {
    assert.deepEqual(parseFhirDate('2025-03-02T23:30:00-05:00'), { year: 2025, month: 3, day: 2 });
    assert.deepEqual(parseFhirDate('2025-03-02T00:30:00+14:00'), { year: 2025, month: 3, day: 2 });
    assert.deepEqual(parseFhirDate('2025-03-02T12:00:00.123Z'), { year: 2025, month: 3, day: 2 });
  });

  it('29 February exists in leap years only', () => {
    assert.deepEqual(parseFhirDate('2024-02-29'), { year: 2024, month: 2, day: 29 });
    assert.equal(parseFhirDate('2023-02-29'), undefined);
    assert.deepEqual(parseFhirDate('2000-02-29'), { year: 2000, month: 2, day: 29 });
    assert.equal(parseFhirDate('1900-02-29'), undefined, '1900 was not a leap year');
  });

  it('invalid dates are rejected', () => {
    for (const value of ['2025-13-01', '2025-00-10', '2025-04-31', '2025-04-00', '2025-3-2', '25-03-02', '2025/03/02', 'March 2, 2025', '2025-03-02T', '2025-03-02Tnoon', '', ' ']) {
      assert.equal(parseFhirDate(value), undefined, JSON.stringify(value));
    }
  });

  it('anything that is not a string is no date', () => {
    assert.equal(parseFhirDate(undefined), undefined);
    assert.equal(parseFhirDate(20250302 as unknown as string), undefined);
  });
});

describe('full days and partial dates', () => {
  it('parseDay wants a full day', () => {
    assert.deepEqual(parseDay('2025-03-02T08:00:00Z'), { year: 2025, month: 3, day: 2 });
    assert.equal(parseDay('2025-03'), undefined);
    assert.equal(parseDay('2025'), undefined);
    assert.ok(isFullDay(parseFhirDate('2025-03-02')));
    assert.ok(!isFullDay(parseFhirDate('2025-03')));
    assert.ok(!isFullDay(undefined));
  });

  it('formats with zero padding and the precision it has', () => {
    assert.equal(formatDay({ year: 987, month: 1, day: 5 }), '0987-01-05');
    assert.equal(formatPartialDate({ year: 2025 }), '2025');
    assert.equal(formatPartialDate({ year: 2025, month: 3 }), '2025-03');
    assert.equal(formatPartialDate({ year: 2025, month: 3, day: 2 }), '2025-03-02');
  });

  it('a partial date stands for a range of days', () => {
    assert.deepEqual(earliestDay({ year: 2024, month: 2 }), { year: 2024, month: 2, day: 1 });
    assert.deepEqual(latestDay({ year: 2024, month: 2 }), { year: 2024, month: 2, day: 29 });
    assert.deepEqual(latestDay({ year: 2023, month: 2 }), { year: 2023, month: 2, day: 28 });
    assert.deepEqual(earliestDay({ year: 2023 }), { year: 2023, month: 1, day: 1 });
    assert.deepEqual(latestDay({ year: 2023 }), { year: 2023, month: 12, day: 31 });
  });

  it('compares and counts days across month, year and leap-day boundaries', () => {
    assert.ok(compareDays(day('2025-03-02'), day('2025-03-10')) < 0);
    assert.ok(compareDays(day('2026-01-01'), day('2025-12-31')) > 0);
    assert.equal(compareDays(day('2025-03-02'), day('2025-03-02')), 0);
    assert.equal(daysBetween(day('2024-02-28'), day('2024-03-01')), 2);
    assert.equal(daysBetween(day('2023-02-28'), day('2023-03-01')), 1);
    assert.equal(daysBetween(day('2025-12-31'), day('2026-01-01')), 1);
    assert.equal(daysBetween(day('2026-06-15'), day('2026-03-17')), -90);
  });

  it('daysBetween is not thrown off by daylight saving time changes', () => {
    assert.equal(daysBetween(day('2026-03-07'), day('2026-03-09')), 2);
    assert.equal(daysBetween(day('2026-10-31'), day('2026-11-02')), 2);
  });
});

describe('ageOn: age in completed years on a day', () => {
  it('turns 18 on the 18th birthday, not the day before', () => {
    assert.equal(ageOn(day('2008-06-15'), day('2026-06-15')), 18);
    assert.equal(ageOn(day('2008-06-15'), day('2026-06-14')), 17);
    assert.equal(ageOn(day('2008-06-15'), day('2026-05-31')), 17);
    assert.equal(ageOn(day('2008-06-15'), day('2026-07-01')), 18);
  });

  it('a 29 February birthday is reached on 1 March in common years', () => {
    const birth = day('2008-02-29');
    assert.equal(ageOn(birth, day('2026-02-28')), 17);
    assert.equal(ageOn(birth, day('2026-03-01')), 18);
  });

  it('a 29 February birthday is reached on 29 February in leap years', () => {
    const birth = day('2008-02-29');
    assert.equal(ageOn(birth, day('2028-02-28')), 19);
    assert.equal(ageOn(birth, day('2028-02-29')), 20);
  });

  it('on the day of birth the age is 0', () => {
    assert.equal(ageOn(day('2026-06-15'), day('2026-06-15')), 0);
  });
});

describe('ageRangeOn: the youngest and oldest a partial birth date allows', () => {
  it('a full birth date gives one age', () => {
    assert.deepEqual(ageRangeOn({ year: 1961, month: 3, day: 14 }, day('2026-06-15')), { min: 65, max: 65 });
  });

  it('year only: the year of the 18th birthday cannot tell 17 from 18', () => {
    assert.deepEqual(ageRangeOn({ year: 2008 }, day('2026-06-15')), { min: 17, max: 18 });
  });

  it('year only, long enough ago: surely adult', () => {
    assert.deepEqual(ageRangeOn({ year: 1961 }, day('2026-06-15')), { min: 64, max: 65 });
  });

  it('year and month: the month of the 18th birthday cannot tell', () => {
    assert.deepEqual(ageRangeOn({ year: 2008, month: 6 }, day('2026-06-15')), { min: 17, max: 18 });
    assert.deepEqual(ageRangeOn({ year: 2008, month: 5 }, day('2026-06-15')), { min: 18, max: 18 });
    assert.deepEqual(ageRangeOn({ year: 2008, month: 7 }, day('2026-06-15')), { min: 17, max: 17 });
  });

  it('February of a leap year as birth month, judged on 28 February of a common year', () => {
    assert.deepEqual(ageRangeOn({ year: 2008, month: 2 }, day('2026-02-28')), { min: 17, max: 18 });
  });
});

describe('dayIn: today in the plan time zone, not the server time zone', () => {
  const originalTz = process.env['TZ'];
  after(() => {
    if (originalTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = originalTz;
  });

  it('03:00 UTC is still the previous day in New York', () => {
    assert.deepEqual(dayIn('America/New_York', new Date('2026-06-15T03:00:00Z')), { year: 2026, month: 6, day: 14 });
    assert.deepEqual(dayIn('America/New_York', new Date('2026-06-15T04:00:00Z')), { year: 2026, month: 6, day: 15 });
  });

  it('the same instant is already the next day in Tokyo', () => {
    assert.deepEqual(dayIn('Asia/Tokyo', new Date('2026-06-14T20:00:00Z')), { year: 2026, month: 6, day: 15 });
  });

  it('New Year in New York in winter (UTC-5)', () => {
    assert.deepEqual(dayIn('America/New_York', new Date('2027-01-01T04:59:59Z')), { year: 2026, month: 12, day: 31 });
    assert.deepEqual(dayIn('America/New_York', new Date('2027-01-01T05:00:00Z')), { year: 2027, month: 1, day: 1 });
  });

  it('does not depend on the machine time zone', () => {
    // Each zone gets its own instant and text: dayIn and parseFhirDate remember recent answers,
    // so repeating the same input would only test the first zone.
    ['UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Europe/Paris'].forEach((tz, i) => {
      process.env['TZ'] = tz;
      assert.deepEqual(dayIn('America/New_York', new Date(Date.UTC(2026, 5, 15, 3, 0, i))), { year: 2026, month: 6, day: 14 }, tz);
      assert.deepEqual(parseFhirDate(`2025-03-02T23:30:0${i}-05:00`), { year: 2025, month: 3, day: 2 }, tz);
    });
  });
});
