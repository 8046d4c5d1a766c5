import { describe, expect, it } from 'vitest';
import { microsToIso, parseTimestampMicros } from '../../src/events/timestamp.js';

describe('parseTimestampMicros', () => {
  it.each([
    ['1970-01-01T00:00:00Z', 0],
    ['2026-01-02T03:04:05.678Z', Date.UTC(2026, 0, 2, 3, 4, 5, 678) * 1000],
    ['2019-11-24 00:01:03.979311+00:00', Date.UTC(2019, 10, 24, 0, 1, 3, 979) * 1000 + 311],
    ['2026-01-02T05:04:05+02:00', Date.UTC(2026, 0, 2, 3, 4, 5) * 1000],
    ['2026-01-02T00:04:05-0300', Date.UTC(2026, 0, 2, 3, 4, 5) * 1000],
    ['2026-01-02T03:04:05', Date.UTC(2026, 0, 2, 3, 4, 5) * 1000],
    ['2026-01-02', Date.UTC(2026, 0, 2) * 1000],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29) * 1000],
    ['2026-01-02T03:04:05.123456789Z', Date.UTC(2026, 0, 2, 3, 4, 5, 123) * 1000 + 456],
  ])('%s', (text, micros) => expect(parseTimestampMicros(text)).toBe(micros));

  it.each(['yesterday', '2026-02-30T00:00:00Z', '2025-02-29', '2026-13-01', '2026-01-02T24:00:00Z', '2026-01-02T03:60:00Z', '26-01-02', '2026-01-02T03:04:05+25:00', ''])(
    'refuses %j',
    (text) => expect(parseTimestampMicros(text)).toBeNull(),
  );

  it('round-trips through microsToIso', () => {
    const micros = parseTimestampMicros('2019-11-24T00:01:03.979311Z')!;
    expect(microsToIso(micros)).toBe('2019-11-24T00:01:03.979311Z');
    expect(microsToIso(Date.UTC(2026, 0, 1) * 1000)).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('the toISOString form, read by character codes', () => {
  // The reference: Date.parse and a round trip through toISOString, which rejects the dates Date.parse rolls over.
  const reference = (text: string) => {
    const ms = Date.parse(text);
    return !Number.isNaN(ms) && new Date(ms).toISOString() === text ? ms * 1000 : null;
  };

  it('agrees with Date.parse on 20,000 random times from year 0 to 9999', () => {
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const lo = Date.UTC(2000, 0, 1) - 146097 * 5 * 86_400_000, hi = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 20_000; i++) {
      const text = new Date(Math.floor(lo + next() * (hi - lo))).toISOString();
      expect(parseTimestampMicros(text)).toBe(reference(text));
    }
  });

  it('reads the other accepted forms (space, offsets, microseconds) of the same random times as Date.parse reads the ISO form', () => {
    let seed = 11;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    // Years whose microseconds since the epoch stay below 2^53, where sums of them are exact.
    const lo = Date.UTC(1720, 0, 1), hi = Date.UTC(2250, 0, 1);
    for (let i = 0; i < 5_000; i++) {
      const ms = Math.floor(lo + next() * (hi - lo));
      const iso = new Date(ms).toISOString(); // 2026-01-02T03:04:05.678Z
      const shifted = new Date(ms + 90 * 60_000).toISOString(); // the same instant at +01:30
      expect(parseTimestampMicros(`${iso.slice(0, 10)} ${iso.slice(11, 23)}123+00:00`)).toBe(Date.parse(iso) * 1000 + 123);
      expect(parseTimestampMicros(`${shifted.slice(0, 23)}+01:30`)).toBe(Date.parse(iso) * 1000);
    }
  });

  it('rejects the 29th to 31st of every month that lacks them, in leap and common years, as Date.parse does', () => {
    for (const y of [1900, 2000, 2023, 2024, 2100])
      for (let mo = 1; mo <= 12; mo++)
        for (const d of [28, 29, 30, 31, 0, 32]) {
          const text = `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T12:00:00.000Z`;
          expect(parseTimestampMicros(text)).toBe(reference(text));
        }
    for (const t of ['2026-01-02T24:00:00.000Z', '2026-01-02T23:60:00.000Z', '2026-01-02T23:59:60.000Z', '2026-01-02T23:59:59.00xZ', '0050-01-02T03:04:05.678Z', '0000-02-29T00:00:00.000Z'])
      expect(parseTimestampMicros(t)).toBe(reference(t));
    expect(reference('0050-01-02T03:04:05.678Z')).not.toBeNull(); // year 50, not 1950
  });
});
