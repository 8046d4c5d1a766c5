/**
 * Strict RFC 3339 timestamps ("2026-01-02T03:04:05.678901Z"), also accepting a space for the T (as pandas and the Open
 * Bandit Dataset write them) and a missing offset (read as UTC). Returns microseconds since the Unix epoch, or null
 * when the text is not such a time or names an impossible date (2026-02-30, 25:00).
 */
const TS_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The digits at text[at..at+n) as a number, or -1 when one is not a digit. */
function digits(text: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The form clients send most (Date.prototype.toISOString), 2026-01-02T03:04:05.678Z, read by character codes (no regex,
 * no Date object): the ingest server reads one per event. Milliseconds since the epoch, null when it is not that form,
 * NaN for an impossible date or time.
 */
function isoMillis(text: string): number | null {
  if (text.length !== 24 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46 || text.charCodeAt(23) !== 90)
    return null;
  const y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  const h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2), ms = digits(text, 20, 3);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || ms < 0) return null;
  return civilMillis(y, mo, d, h, mi, s) + ms;
}

/** Milliseconds since the epoch of a UTC date and time (month 1-12), NaN when there is no such date or time. */
function civilMillis(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!) || h > 23 || mi > 59 || s > 59) return Number.NaN;
  return daysFromCivil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (month 1-12), any year: H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", days_from_civil (years counted from March, in 400-year eras).
 */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function parseTimestampMicros(text: string): number | null {
  const fast = isoMillis(text);
  if (fast !== null) return Number.isNaN(fast) ? null : fast * 1000;
  const m = TS_RE.exec(text);
  if (!m) return null;
  const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', frac = '', off] = m;
  const ms = civilMillis(Number(ys), Number(mos), Number(ds), Number(hs), Number(mis), Number(ss));
  if (Number.isNaN(ms)) return null;
  let offsetMinutes = 0;
  if (off && off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1 : 1;
    const hhmm = off.slice(1).replace(':', '');
    const oh = Number(hhmm.slice(0, 2)), om = hhmm.length > 2 ? Number(hhmm.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const micros = Number((frac + '000000').slice(0, 6));
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

export function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  const iso = new Date(ms).toISOString(); // ...sss Z
  return rest ? iso.replace('Z', String(rest).padStart(3, '0') + 'Z') : iso;
}
