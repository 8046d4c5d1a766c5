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
