/**
 * Strict RFC 3339 timestamps ("2026-01-02T03:04:05.678901Z"), also accepting a space for the T (as pandas and the Open
 * Bandit Dataset write them) and a missing offset (read as UTC). Returns microseconds since the Unix epoch, or null
 * when the text is not such a time or names an impossible date (2026-02-30, 25:00).
 */
const TS_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** The form clients send most (Date.prototype.toISOString): 2026-01-02T03:04:05.678Z. */
const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function parseTimestampMicros(text: string): number | null {
  if (ISO_MS_RE.test(text)) {
    const ms = Date.parse(text);
    // Date.parse accepts 2026-02-30 by rolling over; the round trip catches it.
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === text) return ms * 1000;
    return null;
  }
  const m = TS_RE.exec(text);
  if (!m) return null;
  const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', frac = '', off] = m;
  const y = Number(ys), mo = Number(mos), d = Number(ds), h = Number(hs), mi = Number(mis), s = Number(ss);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  let offsetMinutes = 0;
  if (off && off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1 : 1;
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)), om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
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
