/**
 * File ingest through DuckDB's own readers (CSV, Parquet, JSONL). Flat files hold one row per shown item (exposures),
 * outcome, prediction or label; every row is checked in SQL and a file with a bad row is refused as a whole (or, with
 * skipBad, loaded without its bad rows, which go to a rejects file). Nothing is written until every check has passed,
 * and the write is one transaction: a file is never half-loaded.
 *
 * A flat file goes through DuckDB once: its rows (Parquet straight from the reader, CSV from a temp copy, lg_raw, and
 * JSONL from its lines, read by loadJsonlLines, into lg_raw with each key's value as JSON) are typed and checked in one pass into a temp table, lg_typed, holding the typed values that vary by row and
 * whether the row breaks a rule. The dedup and the INSERTs read lg_typed; rows left out are marked in it and filtered,
 * so the tables receive the rows in file order. On a 2-core machine most of the time is DuckDB compressing the
 * written string columns (see bench/file-ingest.js for the per-statement breakdown).
 *
 * JSONL files of full events (`--kind events`, or `decisions` with nested `shown`) go through the same validator as
 * the HTTP API instead.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { STRATEGIES, LABEL_SOURCES, OUTCOME_KINDS, LIMITS } from '../../events/schemas.js';
import { validateEvent, type ValidEvent } from '../../events/validate.js';
import { UserError, type FileIngestOptions, type FileIngestResult, type FileKind } from '../store.js';
import type { DuckDbStore } from './store.js';
import { EXPLORED_EXPOSURES, OUTCOME_KEY_SQL } from './tables.js';
import { exploreStrategySql } from '../../analyses/sql.js';

type FieldType = 'id' | 'text' | 'number' | 'integer' | 'propensity' | 'boolean' | 'timestamp' | 'enum';

export interface FieldSpec {
  name: string;
  type: FieldType;
  required: boolean;
  /** Source column names tried, in order, when the mapping does not name one. */
  aliases: string[];
  values?: readonly string[];
  /** Kinds matched by pattern in addition to `values` (outcome kinds: custom:<name>). */
  pattern?: string;
  min?: number;
  max?: number;
  /** Optional (a default stands in when no column gives it), but a column that gives it must do so on every row. */
  noBlanks?: boolean;
}

const f = (name: string, type: FieldType, required: boolean, aliases: string[] = [name], extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name, type, required, aliases, ...extra,
});

/** Canonical fields of each flat kind; defaults read the Open Bandit Dataset layout without a mapping. */
const FIELDS: Record<'exposures' | 'outcomes' | 'predictions' | 'labels', FieldSpec[]> = {
  exposures: [
    f('event_id', 'id', false),
    f('request_id', 'id', false),
    f('ts', 'timestamp', true, ['ts', 'timestamp', 'time']),
    f('user_id', 'text', false),
    f('session_id', 'text', false),
    f('surface', 'text', false),
    f('policy', 'text', false),
    f('policy_version', 'text', false),
    f('strategy', 'enum', false, ['strategy'], { values: STRATEGIES }),
    f('item_id', 'id', true, ['item_id', 'action']),
    f('position', 'integer', false, ['position', 'slot'], { min: 0, max: 100_000, noBlanks: true }),
    f('propensity', 'propensity', true, ['propensity', 'propensity_score', 'pscore']),
    f('score', 'number', false),
    f('explored', 'boolean', false),
    f('reward', 'number', false, ['reward', 'click']),
    f('reward_kind', 'enum', false, ['reward_kind'], { values: OUTCOME_KINDS, pattern: '^custom:[A-Za-z0-9_.-]{1,64}$' }),
  ],
  outcomes: [
    f('event_id', 'id', false),
    f('ts', 'timestamp', true, ['ts', 'timestamp', 'time']),
    f('request_id', 'id', true),
    f('item_id', 'id', false, ['item_id', 'action']),
    f('kind', 'enum', true, ['kind'], { values: OUTCOME_KINDS, pattern: '^custom:[A-Za-z0-9_.-]{1,64}$' }),
    f('value', 'number', true, ['value', 'reward', 'click']),
  ],
  predictions: [
    f('event_id', 'id', false),
    f('ts', 'timestamp', true, ['ts', 'timestamp', 'time']),
    f('request_id', 'id', true),
    f('model_version', 'text', true),
    f('score', 'number', true, ['score', 'prediction']),
    f('predicted_label', 'text', false),
  ],
  labels: [
    f('event_id', 'id', false),
    f('ts', 'timestamp', true, ['ts', 'timestamp', 'time']),
    f('request_id', 'id', true),
    f('label', 'text', true),
    f('source', 'enum', true, ['source'], { values: LABEL_SOURCES }),
    f('annotator_id', 'text', false),
  ],
};

/** Fields with a value when neither mapped nor found. */
const DEFAULTS: Record<string, string> = { strategy: 'personalized', explored: 'false', position: '1', reward_kind: 'click' };

const qi = (name: string) => `"${name.replace(/"/g, '""')}"`;
const ql = (text: string) => `'${text.replace(/'/g, "''")}'`;

type Format = FileIngestResult['format'];

export function detectFormat(file: string): Format {
  const lower = file.toLowerCase().replace(/\.gz$/, '');
  if (/\.(csv|tsv|txt)$/.test(lower)) return 'csv';
  if (/\.(parquet|pq)$/.test(lower)) return 'parquet';
  if (/\.(jsonl|ndjson|json)$/.test(lower)) return 'jsonl';
  throw new UserError(`${file}: unknown file type; expected .csv, .tsv, .parquet, .jsonl or .ndjson (optionally .gz)`);
}

async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Fields of one CSV line, honouring double quotes. */
function countFields(line: string, delim: string): number {
  let n = 1, quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === delim && !quoted) n++;
  }
  return n;
}

function openText(file: string): NodeJS.ReadableStream {
  const raw = fs.createReadStream(file);
  return /\.gz$/i.test(file) ? raw.pipe(zlib.createGunzip()) : raw;
}

async function firstLine(file: string): Promise<string> {
  const lines = readline.createInterface({ input: openText(file), crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

/** The delimiter of a CSV file: the most frequent of , ; tab | in its header line. */
async function sniffDelimiter(file: string): Promise<string> {
  if (/\.tsv(\.gz)?$/i.test(file)) return '\t';
  const header = await firstLine(file);
  let best = ',', most = 0;
  for (const d of [',', ';', '\t', '|']) {
    const n = header.split(d).length - 1;
    if (n > most) (best = d), (most = n);
  }
  return best;
}

/** After DuckDB failed to read a CSV: the first line whose field count differs from the header's, if any. */
async function raggedLine(file: string, delim: string): Promise<string | null> {
  const lines = readline.createInterface({ input: openText(file), crlfDelay: Infinity });
  let expected = -1, no = 0;
  for await (const line of lines) {
    no++;
    if (!line.trim()) continue;
    const n = countFields(line, delim);
    if (expected < 0) expected = n;
    else if (n !== expected) {
      lines.close();
      return `line ${no} has ${n} fields where the header has ${expected}`;
    }
  }
  return null;
}

/**
 * Flat JSONL (https://jsonlines.org: UTF-8, one JSON value per line, lines ended by \n or \r\n) into lg_lines, one row per
 * line that is not blank, with its line number. Read here rather than by DuckDB's read_json, which infers one type per
 * key (a key holding both strings and numbers became JSON, and every string kept its quotes), accepts NaN and trailing
 * commas, refuses a UTF-8 byte order mark and counts lines differently from the file. Each line must be a JSON object
 * (RFC 8259, as JSON.parse reads it); the first that is not refuses the file, naming its line. A byte order mark
 * before the first line is skipped. Returns the keys of all lines, in the order they first appear.
 */
async function loadJsonlLines(c: DuckDBConnection, file: string, shown: string): Promise<string[]> {
  await c.run('CREATE TEMP TABLE lg_lines (line_no BIGINT, j VARCHAR)');
  const appender = await c.createAppender('lg_lines', 'main', 'temp');
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const keys = new Map<string, string>(); // lower case -> as first seen (DuckDB's column names ignore case)
  let lineNo = 0;
  const take = (bytes: Buffer) => {
    lineNo++;
    let end = bytes.length;
    if (end && bytes[end - 1] === 0x0d) end--;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, end));
    } catch {
      throw new UserError(`${shown}: could not be read as JSONL: line ${lineNo} is not valid UTF-8`);
    }
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (!text.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${shown}: could not be read as JSONL: line ${lineNo} is not valid JSON (${(err as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new UserError(`${shown}: could not be read as JSONL: line ${lineNo} is not a JSON object (got ${text.length > 60 ? text.slice(0, 57) + '...' : text})`);
    for (const k of Object.keys(value)) {
      const seen = keys.get(k.toLowerCase());
      if (seen === undefined) keys.set(k.toLowerCase(), k);
      else if (seen !== k) throw new UserError(`${shown}: line ${lineNo}: the keys '${seen}' and '${k}' differ only in case; column names must differ in more than case`);
    }
    appender.appendBigInt(BigInt(lineNo));
    appender.appendVarchar(text);
    appender.endRow();
  };
  try {
    let rest: Buffer = Buffer.alloc(0);
    for await (const chunk of openText(file)) {
      let buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      let start = 0;
      for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
        take(buf.subarray(start, nl));
        start = nl + 1;
      }
      rest = Buffer.from(buf.subarray(start));
      buf = rest;
    }
    if (rest.length) take(rest);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${shown}: could not be read as JSONL: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    appender.closeSync();
  }
  return [...keys.values()];
}

/** RFC 6901 JSON pointer to a top-level key, as DuckDB's json_extract reads it. */
const pointer = (key: string) => '/' + key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The lines the CSV rows in `errors` start on (set as their `line`), for messages. DuckDB's reader gives no line numbers,
 * so the file is scanned again here, on the error path only: records of RFC 4180 (a field in double quotes may hold line
 * breaks; "" is a quote inside one), the header first, lines with nothing on them skipped as DuckDB skips them. The lines
 * are used only when they are certain to be DuckDB's: the dialect DuckDB sniffed is that one (quote " or none, escape "
 * or none, lines ended by \n or \r\n) and the scan finds as many rows as DuckDB read. Otherwise rows are named
 * without lines.
 */
async function csvLines(c: DuckDBConnection, file: string, delim: string, rows: number, errors: RowError[]): Promise<void> {
  let quoted: boolean;
  try {
    const [quote, escape, newline] = (await c.runAndReadAll(`SELECT Quote, Escape, NewLineDelimiter FROM sniff_csv(${ql(file)}, delim = ${ql(delim)}, header = true, skip = 0)`)).getRows()[0]!.map(String);
    const none = (x: string) => x === '' || x === '(empty)';
    if (!(quote === '"' || none(quote!)) || !(escape === '"' || none(escape!)) || !(newline === '\\n' || newline === '\\r\\n' || none(newline!))) return;
    quoted = quote === '"';
  } catch {
    return;
  }
  const wanted = new Map<number, RowError[]>();
  for (const e of errors) wanted.set(e.row - 1, [...(wanted.get(e.row - 1) ?? []), e]);
  const found = new Map<number, number>();
  let line = 1, start = 1, record = -1, inQuotes = false, empty = true, lone = false, prevCr = false;
  for await (const chunk of openText(file)) {
    for (const b of chunk as Buffer) {
      if (prevCr && b !== 0x0a) lone = true;
      prevCr = b === 0x0d;
      if (b === 0x0a) {
        if (!inQuotes) {
          if (!empty) {
            if (record >= 0 && wanted.has(record)) found.set(record, start);
            record++;
          }
          empty = true;
          start = line + 1;
        }
        line++;
      } else {
        if (b === 0x22 && quoted) inQuotes = !inQuotes;
        if (b !== 0x0d) empty = false;
      }
    }
  }
  if (!empty) {
    if (record >= 0 && wanted.has(record)) found.set(record, start);
    record++;
  }
  if (lone || inQuotes || record !== rows) return;
  for (const [row, list] of wanted) for (const e of list) if (found.has(row)) e.line = found.get(row)!;
}

/** DuckDB's reader of a CSV or Parquet file (flat JSONL is read by loadJsonlLines). */
function reader(format: Format, file: string, varcharColumns: string[], delim: string): string {
  if (format === 'parquet') return `read_parquet(${ql(file)})`;
  const types = varcharColumns.length ? `, types = {${varcharColumns.map((c) => `${ql(c)}: 'VARCHAR'`).join(', ')}}` : '';
  // Pinning header, skip and the delimiter keeps DuckDB's sniffer from silently skipping rows of a ragged file.
  return `read_csv(${ql(file)}, header = true, skip = 0, delim = ${ql(delim)}, strict_mode = true${types})`;
}

async function unreadable(file: string, shown: string, format: Format, delim: string, err: unknown): Promise<UserError> {
  const detail = format === 'csv' ? await raggedLine(file, delim) : null;
  return new UserError(`${shown}: could not be read as ${format.toUpperCase()}: ${detail ?? (err as Error).message.split('\n')[0]}`);
}

/** DuckDB names columns with an empty header column0, column00, ...: row indexes, not data. */
const isUnnamed = (c: string) => /^column\d+$/.test(c);

interface Resolved {
  /** canonical field -> source column */
  columns: Record<string, string>;
  /** canonical field -> constant */
  constants: Record<string, string>;
  attributeColumns: string[];
}

function resolveMapping(file: string, kind: keyof typeof FIELDS, available: string[], opts: FileIngestOptions): Resolved {
  const specs = FIELDS[kind];
  const known = new Set(specs.map((s) => s.name));
  for (const k of [...Object.keys(opts.map ?? {}), ...Object.keys(opts.set ?? {})])
    if (!known.has(k))
      throw new UserError(`${file}: --map/--set names the unknown field '${k}'; fields of ${kind} are ${[...known].join(', ')}`);
  const columns: Record<string, string> = {};
  const constants: Record<string, string> = {};
  for (const s of specs) {
    const fromSet = opts.set?.[s.name];
    if (fromSet !== undefined) {
      constants[s.name] = fromSet;
      continue;
    }
    const mapped = opts.map?.[s.name];
    if (mapped !== undefined) {
      if (!available.includes(mapped))
        throw new UserError(`${file}: --map ${s.name}=${mapped}: there is no column '${mapped}'; columns are ${available.join(', ')}`);
      columns[s.name] = mapped;
      continue;
    }
    const found = s.aliases.find((a) => available.includes(a));
    if (found) columns[s.name] = found;
    else if (DEFAULTS[s.name] !== undefined) constants[s.name] = DEFAULTS[s.name]!;
    else if (s.required)
      throw new UserError(
        `${file}: no column for the required field '${s.name}' (looked for ${s.aliases.join(', ')}); ` +
          `name it with --map ${s.name}=<column> or give a constant with --set ${s.name}=<value>; columns are ${available.join(', ')}`,
      );
  }
  const used = new Set(Object.values(columns));
  const attributeColumns = kind === 'exposures' || kind === 'predictions' ? available.filter((c) => !used.has(c) && !isUnnamed(c)) : [];
  // The attribute keys an event may carry (docs/events.md), checked on the column names that become them.
  if (attributeColumns.length > LIMITS.attributeKeys)
    throw new UserError(
      `${file}: ${attributeColumns.length} columns would become attributes, more than the ${LIMITS.attributeKeys} keys an event may hold; drop the columns you do not slice by, or --map them to fields (${attributeColumns.slice(0, 5).join(', ')}, ...)`,
    );
  for (const a of attributeColumns) {
    if (a.length > LIMITS.attributeKeyLength)
      throw new UserError(`${file}: column '${a.slice(0, 40)}...' would become an attribute key longer than ${LIMITS.attributeKeyLength} characters (${a.length}); rename it or drop it`);
    if (/[\u0000-\u001f]/.test(a)) throw new UserError(`${file}: column ${JSON.stringify(a)} would become an attribute key with a control character; rename it`);
  }
  return { columns, constants, attributeColumns };
}

interface TypedField {
  spec: FieldSpec;
  /** The value as stored. */
  typed: string;
  /** The value as given, as text (for messages). */
  raw: string;
  /** True when the value is given (not NULL, not empty text); never NULL. */
  set: string;
  /** False when the value is given but of a kind the field does not take (a JSON object as an id). */
  ok: string;
  /** Whether lg_typed holds the value (it comes from a column or the row number); constants are written as such. */
  perRow: boolean;
  /** Another field of lg_typed that always holds the same value (request_id without a source is the event_id). */
  sameAs?: string;
}

/**
 * DuckDB types whose text form is never empty, so a value of them is given exactly when it is not NULL: numbers,
 * booleans, dates and times (lists, structs, blobs and text can print as '').
 */
export const NEVER_EMPTY = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|DATE|TIME|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE)$/;

/**
 * The accepted text form of a timestamp, as RE2 (DuckDB's regex engine): the same pattern as TS_RE in
 * src/events/timestamp.ts, which the HTTP API validates with (docs/events.md, "Common rules": RFC 3339, a space may
 * stand for the T, no offset means UTC; offsets +HH, +HHMM or +HH:MM). JavaScript's \s is spelled out, as RE2's \s is
 * narrower. The groups are year, month, day, hour, minute, second, fraction and offset; a test checks the SQL below
 * against parseTimestampMicros.
 */
const TS_PATTERN =
  '^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]{1,9}))?)?)?' +
  '[\\t\\n\\x0B\\f\\r \\x{00A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}]*' +
  '(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?$';

/**
 * SQL: the TIMESTAMP (UTC, microseconds) of a text in the accepted form, NULL for any other text or an impossible date
 * or time. Computed from the regex groups with plain integer arithmetic on a DATE, never through TIMESTAMPTZ: DuckDB's
 * ICU cast of text to TIMESTAMPTZ reads more than RFC 3339 ('epoch', '-infinity', named zones, '24:00:00', '2024-1-1')
 * and, in a vector, a row naming a zone (America/New_York) shifted the offset-less rows after it into that zone. Further
 * fractional digits are dropped, as parseTimestampMicros does.
 */
export function timestampFromTextSql(text: string): string {
  const m = `regexp_extract(${text}, ${ql(TS_PATTERN)}, ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'o'])`;
  // One row's groups bound once (a lambda over a one-element list), so the regex runs once per value.
  const int = (g: string) => `CAST(CASE g.${g} WHEN '' THEN '0' ELSE g.${g} END AS BIGINT)`;
  const off = `CASE WHEN g.o IN ('', 'Z', 'z') THEN 0 ELSE (CASE WHEN g.o[1] = '-' THEN -1 ELSE 1 END) * (CAST(g.o[2:3] AS BIGINT) * 60 + CASE WHEN length(g.o) > 3 THEN CAST(right(g.o, 2) AS BIGINT) ELSE 0 END) END`;
  const ok = `g.y <> '' AND ${int('h')} <= 23 AND ${int('mi')} <= 59 AND ${int('s')} <= 59 AND (length(g.o) <= 3 OR TRY_CAST(right(g.o, 2) AS BIGINT) <= 59) AND (g.o IN ('', 'Z', 'z') OR TRY_CAST(g.o[2:3] AS BIGINT) <= 23)`;
  const micros = `epoch_us(CAST(TRY_CAST(g.y || '-' || g.mo || '-' || g.d AS DATE) AS TIMESTAMP)) + ((${int('h')} * 60 + ${int('mi')}) * 60 + ${int('s')}) * 1000000 + CAST(left(g.f || '000000', 6) AS BIGINT) - (${off}) * 60000000`;
  const general = `list_transform([${m}], g -> CASE WHEN ${ok} THEN make_timestamp(${micros}) END)[1]`;
  // The forms files hold most (2026-01-02T03:04:05.678Z, pandas' 2026-01-02 03:04:05.678901+00:00), in UTC with at most
  // microseconds and hours, minutes and seconds in range, are read by DuckDB's cast of text to TIMESTAMP (no time
  // zone), which refuses impossible dates: a quarter of the time of the general reading.
  const fast = `regexp_full_match(${text}, ${ql(FAST_TS_PATTERN)})`;
  const local = `CASE WHEN ${text}[-1:] = 'Z' THEN ${text}[:-2] WHEN ${text}[-6:] = '+00:00' THEN ${text}[:-7] ELSE ${text} END`;
  return `CASE WHEN ${fast} THEN TRY_CAST(${local} AS TIMESTAMP) ELSE ${general} END`;
}

/** The common UTC forms timestampFromTextSql reads by a plain cast; every text it matches also matches TS_PATTERN. */
const FAST_TS_PATTERN = '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|\\+00:00)?';

/** The instants a timestamp may name: years 0000 to 9999, those of RFC 3339's four-digit years. */
const inRange = (ts: string) => `CASE WHEN ${ts} >= TIMESTAMP '0000-01-01' AND ${ts} < TIMESTAMP '10000-01-01' THEN ${ts} END`;

/** Types whose values are given as they are for text fields (an integer, decimal or floating number prints exactly). */
const TEXT_TYPES = /^(VARCHAR|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|UUID|JSON)$/;
const NUMBER_TYPES = /^(VARCHAR|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|JSON)$/;
const BOOLEAN_TYPES = /^(VARCHAR|BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|JSON)$/;
const TIME_TYPES = /^(VARCHAR|DATE|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE|JSON)$/;

/**
 * Why a column of DuckDB type `sourceType` cannot give the field at all (a list, a struct, a blob, a boolean for a
 * number, ...), or null when its values are checked row by row.
 */
export function columnTypeProblem(spec: FieldSpec, sourceType: string): string | null {
  switch (spec.type) {
    case 'number': case 'propensity': case 'integer':
      return NUMBER_TYPES.test(sourceType) ? null : 'expected a number column';
    case 'boolean':
      return BOOLEAN_TYPES.test(sourceType) ? null : 'expected a boolean column';
    case 'timestamp':
      return TIME_TYPES.test(sourceType) ? null : 'expected a timestamp column or text such as 2026-01-02T03:04:05Z';
    default:
      return TEXT_TYPES.test(sourceType) ? null : 'expected a text or integer column';
  }
}

/**
 * SQL over a JSON value (flat JSONL, one per key and line): the kinds of JSON value each field type takes. Strings for
 * every field; integers also for ids and texts (their decimal text; DuckDB re-prints other numbers, 1.50 as 1.5, so those
 * are refused rather than altered); numbers also for numbers; booleans only for booleans. Objects and arrays never.
 */
function fromJson(spec: FieldSpec, x: string): string {
  const t = `json_type(${x})`;
  switch (spec.type) {
    case 'number': case 'propensity': case 'integer':
      return `CASE WHEN ${t} IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(${x} AS DOUBLE) WHEN ${t} = 'VARCHAR' THEN TRY_CAST(${x} ->> '$' AS DOUBLE) END`;
    case 'boolean':
      return `CASE WHEN ${t} = 'BOOLEAN' THEN CAST(${x} AS BOOLEAN) WHEN ${t} = 'VARCHAR' THEN TRY_CAST(${x} ->> '$' AS BOOLEAN) END`;
    case 'timestamp':
      return timestampFromTextSql(`CASE WHEN ${t} = 'VARCHAR' THEN ${x} ->> '$' END`);
    default:
      if (spec.type === 'enum') return `CASE WHEN ${t} = 'VARCHAR' THEN ${x} ->> '$' END`;
      return `CASE WHEN ${t} = 'VARCHAR' THEN ${x} ->> '$' WHEN ${t} IN ('BIGINT', 'UBIGINT') THEN CAST(${x} AS VARCHAR) END`;
  }
}

/** `source` as the field's stored type; `sourceType` is the DuckDB type of the source column, if it is one. */
export function typedExpr(spec: FieldSpec, source: string, sourceType?: string): string {
  if (sourceType === 'JSON') return fromJson(spec, source);
  switch (spec.type) {
    case 'number': case 'propensity': case 'integer': return `TRY_CAST(${source} AS DOUBLE)`;
    case 'boolean': return `TRY_CAST(${source} AS BOOLEAN)`;
    case 'timestamp':
      // Typed times are taken as the instants they are (no ICU, no session time zone), to the microsecond rounded down as
      // text's further digits are dropped; infinities and years outside 0000-9999 are not timestamps. Anything else
      // (text, a --set constant) is read as text in the accepted form.
      if (sourceType === 'TIMESTAMP' || sourceType === 'TIMESTAMP_S' || sourceType === 'TIMESTAMP_MS' || sourceType === 'DATE')
        return inRange(sourceType === 'TIMESTAMP' ? source : `CAST(${source} AS TIMESTAMP)`);
      if (sourceType === 'TIMESTAMP_NS') {
        const ns = `epoch_ns(${source})`;
        return `CASE WHEN isfinite(${source}) THEN make_timestamp((${ns} - (${ns} % 1000 + 1000) % 1000) // 1000) END`;
      }
      if (sourceType === 'TIMESTAMP WITH TIME ZONE') return `CASE WHEN isfinite(${source}) THEN ${inRange(`make_timestamp(epoch_us(${source}))`)} END`;
      return timestampFromTextSql(`CAST(${source} AS VARCHAR)`);
    default: return `CAST(${source} AS VARCHAR)`;
  }
}

interface Rule {
  field: string;
  /** SQL condition over lg_checked that is true for a bad row. */
  cond: string;
  /** SQL expression giving the reason. */
  reason: string;
}

/** Column types an attribute can come from: text, numbers, booleans, and values DuckDB writes into JSON as text. */
const ATTRIBUTE_TYPES = /^(VARCHAR|BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|UUID|DATE|TIME|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE|JSON)$/;

/**
 * The API's rules for an attribute's value (docs/events.md), on the column `name` that becomes attribute `key`: text of
 * at most LIMITS.attributeStringLength characters, finite numbers (a NaN would be written into the attributes as
 * invalid JSON), and for JSONL no objects or arrays.
 */
function attributeRules(key: string, name: string, type: string | undefined): Rule[] {
  const field = `attributes.${key}`;
  const max = LIMITS.attributeStringLength;
  const r = (cond: string, reason: string): Rule => ({ field, cond, reason });
  if (type === 'FLOAT' || type === 'DOUBLE') return [r(`NOT isfinite(${name})`, `'must be a finite number (got ' || CAST(${name} AS VARCHAR) || ')'`)];
  if (type === 'VARCHAR') return [r(`length(${name}) > ${max}`, `'text longer than ${max} characters (got ' || length(${name}) || ')'`)];
  if (type === 'JSON')
    return [
      r(`json_type(${name}) IN ('OBJECT', 'ARRAY')`, `'expected text, a number or a boolean (got ' || left(CAST(${name} AS VARCHAR), 60) || ')'`),
      r(`json_type(${name}) = 'VARCHAR' AND length(${name} ->> '$') > ${max}`, `'text longer than ${max} characters (got ' || length(${name} ->> '$') || ')'`),
    ];
  return [];
}

/** Every rule one field's values must meet. */
function fieldRules(spec: FieldSpec): Rule[] {
  const n = spec.name, raw = `${n}__raw`, present = `${n}__set`;
  const got = (x: string) => `' (got ' || left(${x}, 60) || ')'`;
  const r = (cond: string, reason: string): Rule => ({ field: n, cond, reason });
  const out: Rule[] = [];
  if (spec.required) out.push(r(`NOT ${present}`, `'required field is missing'`));
  else if (spec.noBlanks) out.push(r(`NOT ${present}`, `'no value (when the file has this column, every row needs one)'`));
  switch (spec.type) {
    case 'id': case 'text': {
      out.push(r(`NOT ${n}__ok`, `'expected a string or an integer' || ${got(raw)}`));
      const max = spec.type === 'id' ? LIMITS.idLength : LIMITS.nameLength;
      out.push(r(`${present} AND length(${n}) > ${max}`, `'text longer than ${max} characters (got ' || length(${n}) || ')'`));
      // Not every character outside the control range, rather than some character in it: the same test, anchored, and
      // about twice as fast in DuckDB's regex engine.
      out.push(r(`${present} AND NOT regexp_full_match(${n}, '[^\\x00-\\x1f]*')`, `'must not contain control characters'`));
      break;
    }
    case 'number': case 'propensity': case 'integer': {
      out.push(r(`${present} AND ${n} IS NULL`, `'expected a number' || ${got(raw)}`));
      out.push(r(`${n} IS NOT NULL AND NOT isfinite(${n})`, `'must be a finite number' || ${got(raw)}`));
      if (spec.type === 'propensity') {
        out.push(r(`isfinite(${n}) AND (${n} <= 0 OR ${n} > 1)`, `'must be > 0 and <= 1' || ${got(raw)}`));
        out.push(
          r(`${n} > 0 AND ${n} < ${LIMITS.minPropensity}`, `'must be at least ${LIMITS.minPropensity}, or its importance weight 1 / p overflows' || ${got(raw)}`),
        );
      }
      if (spec.type === 'integer')
        out.push(
          r(
            `isfinite(${n}) AND (${n} <> floor(${n}) OR ${n} < ${spec.min ?? 0} OR ${n} > ${spec.max ?? 1e9})`,
            `'must be an integer from ${spec.min ?? 0} to ${spec.max ?? 1e9}' || ${got(raw)}`,
          ),
        );
      break;
    }
    case 'boolean':
      out.push(r(`${present} AND ${n} IS NULL`, `'expected true or false' || ${got(raw)}`));
      break;
    case 'timestamp':
      out.push(r(`${present} AND ${n} IS NULL`, `'not a timestamp such as 2026-01-02T03:04:05Z' || ${got(raw)}`));
      out.push(r(`${n} > CAST(now() AS TIMESTAMP) + INTERVAL 1 DAY`, `'more than 24 hours in the future' || ${got(raw)} || '; check the clock and time zone'`));
      break;
    case 'enum': {
      out.push(r(`NOT ${n}__ok`, `'expected a string' || ${got(raw)}`));
      // list_contains rather than IN: DuckDB plans a long IN list as a hash join, which loses the file's row order.
      const inList = `list_contains([${(spec.values ?? []).map(ql).join(', ')}], ${n})`;
      const pat = spec.pattern ? ` OR regexp_full_match(${n}, ${ql(spec.pattern)})` : '';
      out.push(r(`${present} AND NOT (${inList}${pat})`, `${ql(`expected one of ${(spec.values ?? []).join(', ')}${spec.pattern ? ' or custom:<name>' : ''}`)} || ${got(raw)}`));
      break;
    }
  }
  return out;
}

/** Where a bad row is: its line for JSONL, its row (and line, when known) for CSV, its row for Parquet. */
function rowLabel(format: Format, rowIdx: number, line?: number): string {
  const row = rowIdx + 1;
  if (format === 'jsonl') return `line ${line ?? row}`;
  return line === undefined ? `row ${row}` : `row ${row} (line ${line})`;
}

export interface RowError {
  row: number;
  field: string;
  reason: string;
  /** The line the row starts on, when it is known. */
  line?: number;
}

function refuse(file: string, format: Format, total: number, errors: RowError[]): never {
  const shown = errors.slice(0, 20).map((e) => `  ${rowLabel(format, e.row - 1, e.line)}, ${e.field}: ${e.reason}`);
  const more = errors.length > shown.length || total > new Set(errors.map((e) => e.row)).size ? `\n  ... (${total} bad rows in all)` : '';
  throw new UserError(
    `${file}: ${total} bad row${total === 1 ? '' : 's'}; nothing was loaded. Fix the rows, or pass --skip-bad to load the rest and write the bad rows to a rejects file.\n${shown.join('\n')}${more}`,
    { file, problems: total, errors },
  );
}

export async function ingestFile(store: DuckDbStore, opts: FileIngestOptions): Promise<FileIngestResult> {
  const file = path.resolve(opts.path);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UserError(`${opts.path}: no such file`);
  const format = detectFormat(file);
  if (opts.kind === 'events' || opts.kind === 'decisions') {
    if (Object.keys(opts.map ?? {}).length || Object.keys(opts.set ?? {}).length)
      throw new UserError(`${opts.path}: --map and --set apply to flat files; --kind ${opts.kind} reads events with their own field names`);
    if (format !== 'jsonl')
      throw new UserError(
        `${opts.path}: --kind ${opts.kind} reads JSONL events with nested fields (shown, attributes); for one row per shown item in CSV or Parquet use --kind exposures`,
      );
    return ingestEventsJsonl(store, file, opts);
  }
  return ingestFlat(store, file, format, opts.kind, opts);
}

async function ingestFlat(
  store: DuckDbStore,
  file: string,
  format: Format,
  kind: Exclude<FileKind, 'events' | 'decisions'>,
  opts: FileIngestOptions,
): Promise<FileIngestResult> {
  const c = store.writeConn;
  const progress = (done: number, stage: string) => opts.onProgress?.(done, 5, stage);
  progress(0, 'reading');
  const sha = await sha256File(file);
  const delim = format === 'csv' ? await sniffDelimiter(file) : ',';
  const cleanup = async () => {
    for (const sql of ['DROP TABLE IF EXISTS lg_typed', 'DROP VIEW IF EXISTS lg_checked', 'DROP TABLE IF EXISTS lg_skip', 'DROP TABLE IF EXISTS lg_raw',
      'DROP TABLE IF EXISTS lg_lines', 'DROP TABLE IF EXISTS lg_row_lines'])
      await c.run(sql).catch(() => undefined);
  };
  let described: Array<[string, string]>;
  if (format === 'jsonl') {
    await cleanup();
    try {
      // Every key's values are JSON, typed row by row (typedExpr).
      described = (await loadJsonlLines(c, file, opts.path)).map((k) => [k, 'JSON']);
    } catch (err) {
      await cleanup();
      throw err;
    }
  } else {
    try {
      described = (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${reader(format, file, [], delim)}`)).getRows().map((r) => [String(r[0]), String(r[1])]);
    } catch (err) {
      throw await unreadable(file, opts.path, format, delim, err);
    }
  }
  const available = described.map(([name]) => name);
  let resolved: Resolved;
  try {
    resolved = resolveMapping(opts.path, kind, available, opts);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const specs = FIELDS[kind];
  /** Line numbers of the rows, by row index (lg_row_lines' rowid), when they are known (JSONL). */
  const lineNumbers = format === 'jsonl';
  try {
    if (format !== 'jsonl') await cleanup();
    // The rows as read, and each row's index (from 0, in file order). Parquet is read where it is used, its row index
    // from the reader; CSV (whose reader gives no row numbers) is first copied to a temp table, lg_raw, and so is JSONL,
    // from its lines (lg_lines), each key's value as JSON.
    const direct = format === 'parquet' && !available.includes('file_row_number');
    const rawRows = direct ? `(SELECT * FROM read_parquet(${ql(file)}, file_row_number = true))` : 'lg_raw';
    const rowNumber = direct ? 'file_row_number' : 'rowid';
    /** The rows as read with their index as row_idx, for the rejects file. */
    const rawWithIndex = direct ? `(SELECT file_row_number AS row_idx, * EXCLUDE (file_row_number) FROM ${rawRows})` : '(SELECT rowid AS row_idx, * FROM lg_raw)';
    if (format === 'jsonl') {
      const values = available.length ? `json_extract(j, [${available.map((k) => ql(pointer(k))).join(', ')}])` : '[]';
      await c.run(
        `CREATE TEMP TABLE lg_raw AS SELECT ${available.length ? available.map((k, i) => `v[${i + 1}] AS ${qi(k)}`).join(', ') : 'NULL AS lg_none'}
         FROM (SELECT ${values} AS v FROM lg_lines ORDER BY line_no)`,
      );
      await c.run('CREATE TEMP TABLE lg_row_lines AS SELECT line_no FROM lg_lines ORDER BY line_no');
      await c.run('DROP TABLE lg_lines');
    }
    let rawTypes = new Map(described);
    if (format === 'csv') {
      try {
        await c.run(`CREATE TEMP TABLE lg_raw AS SELECT * FROM ${reader(format, file, Object.values(resolved.columns), delim)}`);
      } catch (err) {
        throw await unreadable(file, opts.path, format, delim, err);
      }
      rawTypes = new Map((await c.runAndReadAll('DESCRIBE lg_raw')).getRows().map((r) => [String(r[0]), String(r[1])]));
    }
    // A column whose type cannot give its field (a list as item_id, a boolean as position) refuses the file, naming it.
    for (const spec of specs) {
      const col = resolved.columns[spec.name];
      const type = col === undefined ? undefined : rawTypes.get(col);
      const problem = type === undefined ? null : columnTypeProblem(spec, type);
      if (problem) throw new UserError(`${opts.path}: column '${col}' (for ${spec.name}) is ${type}; ${problem}`);
    }
    // An attribute holds text, a number or a boolean, as in the API: a column of lists, structs or bytes refuses the file.
    for (const a of resolved.attributeColumns) {
      const type = rawTypes.get(a);
      if (type !== undefined && !ATTRIBUTE_TYPES.test(type))
        throw new UserError(`${opts.path}: column '${a}' would become an attribute, but it is ${type}; an attribute holds text, a number or a boolean, so drop the column or --map it to a field`);
    }
    progress(1, 'checking');
    // Rows without an event_id column get one from the file's content hash and their row number, so loading the same
    // file again finds them stored.
    const idPrefix = `f${sha.slice(0, 12)}:`;
    const synthesized = resolved.columns.event_id === undefined && resolved.constants.event_id === undefined;
    const fields: TypedField[] = specs.map((spec) => {
      const col = resolved.columns[spec.name];
      const constant = resolved.constants[spec.name];
      const source = col !== undefined ? qi(col) : constant !== undefined ? ql(constant) : 'NULL';
      const sourceType = col !== undefined ? rawTypes.get(col) : undefined;
      const raw = `CAST(${source} AS VARCHAR)`;
      // A JSON value is given unless it is null, missing or the empty string.
      const set =
        sourceType === 'JSON' ? `${source} IS NOT NULL AND json_type(${source}) <> 'NULL' AND ${raw} <> '""'`
        : sourceType !== undefined && NEVER_EMPTY.test(sourceType) ? `${source} IS NOT NULL` : `${raw} IS NOT NULL AND ${raw} <> ''`;
      const typed = typedExpr(spec, source, sourceType);
      // Text fields of JSON get NULL for a value of the wrong kind (an object, a boolean); for the others NULL is ruled on
      // as the field's value, but ids are filled in (coalesce) below.
      const ok = sourceType === 'JSON' && ['id', 'text', 'enum'].includes(spec.type) ? `NOT (${set}) OR (${typed}) IS NOT NULL` : 'true';
      const field: TypedField = { spec, typed, raw, set, ok, perRow: col !== undefined };
      if (spec.name === 'event_id') {
        field.typed = `coalesce(${field.typed}, ${ql(idPrefix)} || CAST(${rowNumber} + 1 AS VARCHAR))`;
        field.perRow = true;
      }
      return field;
    });
    const byName = new Map(fields.map((x) => [x.spec.name, x]));
    const idField = byName.get('event_id')!;
    const requestField = byName.get('request_id');
    if (kind === 'exposures' && requestField) {
      if (!requestField.perRow && resolved.constants.request_id === undefined) requestField.sameAs = 'event_id';
      requestField.typed = `coalesce(${requestField.typed}, ${idField.typed})`;
      requestField.perRow = !requestField.sameAs;
    }
    const attrs = resolved.attributeColumns.length
      ? `json_object(${resolved.attributeColumns.map((a) => `${ql(a)}, ${qi(a)}`).join(', ')})`
      : 'NULL';
    // lg_checked (a view) has each field typed, as given and whether given, for the rules and their messages; lg_typed
    // holds the typed values of the fields that vary by row once, with whether the row breaks a rule, for the dedup and
    // the INSERTs to read instead of recomputing them. Fields set to a constant (or absent) are written as constants.
    await c.run(
      `CREATE TEMP VIEW lg_checked AS SELECT ${rowNumber} AS row_idx, ${fields
        .map((x) => `${x.typed} AS ${x.spec.name}, ${x.raw} AS ${x.spec.name}__raw, ${x.set} AS ${x.spec.name}__set, ${x.ok} AS ${x.spec.name}__ok`)
        .join(', ')}, ${attrs} AS attributes${resolved.attributeColumns.map((a, k) => `, ${qi(a)} AS lg_attr${k}`).join('')} FROM ${rawRows}`,
    );
    const rules = [...specs.flatMap(fieldRules), ...resolved.attributeColumns.flatMap((a, k) => attributeRules(a, `lg_attr${k}`, rawTypes.get(a)))];
    const anyBad = rules.map((r) => `(${r.cond})`).join(' OR ');
    const perRow = fields.filter((x) => x.perRow).map((x) => x.spec.name);
    if (attrs !== 'NULL') perRow.push('attributes');
    try {
      await c.run(`CREATE TEMP TABLE lg_typed AS SELECT row_idx, ${perRow.join(', ')}, ${anyBad} AS lg_bad, false AS lg_drop FROM lg_checked`);
    } catch (err) {
      // Read here for the first time, a Parquet file that cannot be read fails here.
      if (direct && !(err instanceof UserError)) throw await unreadable(file, opts.path, format, delim, err);
      throw err;
    }
    /** A field's value in a statement over lg_typed. */
    const v = (name: string): string => {
      if (perRow.includes(name)) return name;
      const same = byName.get(name)?.sameAs;
      if (same) return same;
      return name === 'attributes' ? 'NULL' : `(${byName.get(name)!.typed})`;
    };
    await c.run('CREATE TEMP TABLE lg_skip (row_idx BIGINT)');
    const counts = (await c.runAndReadAll('SELECT count(*), count_if(lg_bad) FROM lg_typed')).getRows()[0]!;
    const rows = Number(counts[0]);
    const errorCount = Number(counts[1]);
    if (errorCount === 0 && !direct) {
      // Only a rejects file reads the rows as given again: without bad rows, free their copy before the writes.
      await c.run('DROP VIEW lg_checked');
      await c.run('DROP TABLE lg_raw');
    }
    let rejectsFile: string | undefined;
    if (errorCount > 0) {
      const detail = rules.map((r) => `SELECT row_idx, ${ql(r.field)} AS field, ${r.reason} AS reason FROM lg_checked WHERE ${r.cond}`).join(' UNION ALL ');
      const lines = lineNumbers ? 'JOIN (SELECT rowid AS row_idx, line_no FROM lg_row_lines) USING (row_idx)' : '';
      const errors: RowError[] = (await c.runAndReadAll(`SELECT row_idx, field, reason, ${lineNumbers ? 'line_no' : 'NULL'} FROM (${detail}) ${lines} ORDER BY row_idx, field LIMIT 1000`))
        .getRows()
        .map((r) => ({ row: Number(r[0]) + 1, field: String(r[1]), reason: String(r[2]), ...(r[3] === null ? {} : { line: Number(r[3]) }) }));
      if (format === 'csv') await csvLines(c, file, delim, rows, errors);
      if (!opts.skipBad) refuse(opts.path, format, errorCount, errors);
      rejectsFile = path.resolve(opts.rejectsPath ?? `${file}.rejects.csv`);
      await c.run(
        `COPY (SELECT r.row_idx + 1 AS row, e.field, e.reason, r.* EXCLUDE (row_idx) FROM (${detail}) e
                JOIN ${rawWithIndex} r ON r.row_idx = e.row_idx ORDER BY r.row_idx, e.field, e.reason)
         TO ${ql(rejectsFile)} (HEADER, DELIMITER ',')`,
      );
      await c.run('INSERT INTO lg_skip SELECT row_idx FROM lg_typed WHERE lg_bad');
    }
    progress(2, 'deduplicating');
    const target = kind === 'exposures' ? 'decisions' : kind;
    const seenFile = Number(
      (await c.runAndReadAll('SELECT count(*) FROM ingested_files WHERE project = $1 AND sha256 = $2 AND kind = $3', [opts.project, sha, kind])).getRows()[0]![0],
    );
    if (!synthesized) {
      // Repeated event ids inside the file: the first row wins.
      // Joined with the (usually few) repeated ids, rather than an anti-join with the first row of every id.
      await c.run(
        `INSERT INTO lg_skip SELECT t.row_idx FROM lg_typed t JOIN (
           SELECT ${v('event_id')} AS id, min(row_idx) AS first FROM lg_typed GROUP BY ${v('event_id')} HAVING count(*) > 1
         ) d ON ${v('event_id')} = d.id WHERE t.row_idx > d.first`,
      );
    }
    if (!synthesized || seenFile > 0) {
      await c.run(
        `INSERT INTO lg_skip SELECT row_idx FROM lg_typed WHERE ${v('event_id')} IN (
           SELECT e.event_id FROM ${target} e
           WHERE e.project = $1
             AND e.ts BETWEEN (SELECT min(${v('ts')}) FROM lg_typed) AND (SELECT max(${v('ts')}) FROM lg_typed))`,
        [opts.project],
      );
    }
    const skipped = Number((await c.runAndReadAll('SELECT count(DISTINCT row_idx) FROM lg_skip')).getRows()[0]![0]);
    const stored = rows - skipped;
    // Rows left out are marked in lg_typed and the INSERTs filter on the mark: a plain filter keeps the file's row order
    // in the tables, where an anti-join (NOT IN) against lg_skip is a hash join that does not.
    if (skipped) await c.run('UPDATE lg_typed SET lg_drop = true WHERE row_idx IN (SELECT row_idx FROM lg_skip)');
    const keep = skipped ? 'NOT lg_drop' : '';
    progress(3, 'writing');
    const written: Record<string, number> = {};
    const p = ql(opts.project);
    await c.run('BEGIN TRANSACTION');
    try {
      const run = async (table: string, sql: string) => {
        const r = await c.run(sql);
        // The explored copy is not reported: its rows are counted among the exposures already.
        if (table !== EXPLORED_EXPOSURES) written[table] = (written[table] ?? 0) + Number(r.rowsChanged);
      };
      /** INSERT INTO table (columns) SELECT values FROM lg_typed, a value per column: a field, or SQL over fields in {}. */
      const fill = (sql: string) => sql.replace(/\{(\w+)\}/g, (_m, name: string) => v(name));
      const insert = (table: string, columns: string, values: string, where = '') => {
        const conds = [keep, fill(where)].filter(Boolean);
        return run(table, `INSERT INTO ${table} (${columns}) SELECT ${fill(values)} FROM lg_typed${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''}`);
      };
      if (kind === 'exposures') {
        await insert(
          'decisions',
          'project, event_id, ts, request_id, user_id, session_id, surface, policy, policy_version, strategy, attributes, n_shown',
          `${p}, {event_id}, {ts}, {request_id}, {user_id}, {session_id}, {surface}, {policy}, {policy_version}, {strategy}, {attributes}, 1`,
        );
        const exposureColumns =
          'project, decision_id, request_id, ts, user_id, surface, policy, policy_version, strategy, item_id, position, propensity, score, explored, n_shown, outcome_key';
        const exposureValues = `${p}, {event_id}, {request_id}, {ts}, {user_id}, {surface}, {policy}, {policy_version}, {strategy}, {item_id}, CAST({position} AS INTEGER), {propensity}, {score}, coalesce({explored}, false), 1, ${OUTCOME_KEY_SQL('{request_id}', '{item_id}')}`;
        await insert('exposures', exposureColumns, exposureValues);
        // The exploration and holdout rows again, into their own table (EXPLORED_EXPOSURES), as EXPLORE_SQL picks them.
        await insert(EXPLORED_EXPOSURES, exposureColumns, exposureValues, `(coalesce({explored}, false) OR ${exploreStrategySql('{strategy}')})`);
        await insert(
          'outcomes',
          'project, event_id, ts, request_id, item_id, kind, value, outcome_key',
          `${p}, {event_id} || ':reward', {ts}, {request_id}, {item_id}, {reward_kind}, {reward}, ${OUTCOME_KEY_SQL('{request_id}', '{item_id}')}`,
          `{reward} IS NOT NULL AND {reward} <> 0`,
        );
      } else if (kind === 'outcomes') {
        await insert(
          'outcomes',
          'project, event_id, ts, request_id, item_id, kind, value, outcome_key',
          `${p}, {event_id}, {ts}, {request_id}, {item_id}, {kind}, {value}, ${OUTCOME_KEY_SQL('{request_id}', '{item_id}')}`,
        );
      } else if (kind === 'predictions') {
        await insert(
          'predictions',
          'project, event_id, ts, request_id, model_version, attributes, score, predicted_label',
          `${p}, {event_id}, {ts}, {request_id}, {model_version}, {attributes}, {score}, {predicted_label}`,
        );
      } else {
        await insert('labels', 'project, event_id, ts, request_id, label, source, annotator_id', `${p}, {event_id}, {ts}, {request_id}, {label}, {source}, {annotator_id}`);
      }
      await c.run('INSERT INTO ingested_files VALUES ($1, $2, $3, $4, $5, now()::TIMESTAMP)', [opts.project, sha, kind, file, rows]);
      await c.run('COMMIT');
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    progress(5, 'done');
    const mapping = { ...resolved.columns, ...Object.fromEntries(Object.entries(resolved.constants).map(([k, v]) => [k, `=${v}`])) };
    return {
      project: opts.project, file, kind, format, rows, stored, duplicates: skipped - errorCount, rejected: errorCount,
      ...(rejectsFile ? { rejects_file: rejectsFile } : {}), written, mapping,
    };
  } finally {
    await cleanup();
  }
}

/** JSONL of full events through the API's validator, in one transaction. */
async function ingestEventsJsonl(store: DuckDbStore, file: string, opts: FileIngestOptions): Promise<FileIngestResult> {
  const c = store.writeConn;
  const defaultType = opts.kind === 'decisions' ? 'decision' : undefined;
  const size = fs.statSync(file).size;
  const errors: RowError[] = [];
  let errorRows = 0, rows = 0, bytes = 0, stored = 0, duplicates = 0;
  let pending: ValidEvent[] = [];
  const rejectLines: string[] = [];
  const nowMs = Date.now();
  const flush = async () => {
    if (!pending.length) return;
    const [counts] = await store.writeEventsInTransaction([{ project: opts.project, events: pending }]);
    stored += counts!.stored;
    duplicates += counts!.duplicates;
    pending = [];
  };
  await c.run('BEGIN TRANSACTION');
  try {
    const lines = readline.createInterface({ input: openText(file), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      bytes += Buffer.byteLength(line) + 1;
      if (!line.trim()) continue;
      rows++;
      let value: unknown;
      let rowErrors: Array<{ path: string; reason: string }>;
      try {
        value = JSON.parse(line);
        if (defaultType && value && typeof value === 'object' && !('type' in value)) (value as Record<string, unknown>).type = defaultType;
        const r = validateEvent(value, nowMs);
        if (r.ok) {
          if (opts.kind === 'decisions' && r.event.type !== 'decision') rowErrors = [{ path: '/type', reason: `--kind decisions expects decision events (got ${r.event.type})` }];
          else {
            pending.push(r.event);
            rowErrors = [];
          }
        } else rowErrors = r.errors;
      } catch (err) {
        rowErrors = [{ path: '/', reason: `not valid JSON: ${(err as Error).message}` }];
      }
      if (rowErrors.length) {
        errorRows++;
        for (const e of rowErrors) if (errors.length < 1000) errors.push({ row: lineNo, field: e.path, reason: e.reason });
        if (opts.skipBad) rejectLines.push(line);
      }
      if (pending.length >= 5000) {
        await flush();
        opts.onProgress?.(bytes, size, 'writing');
      }
    }
    await flush();
    if (errorRows && !opts.skipBad) {
      // rows are line numbers here; rowLabel(jsonl) prints them as lines.
      refuse(opts.path, 'jsonl', errorRows, errors.map((e) => ({ ...e, line: e.row })));
    }
    const sha = await sha256File(file);
    await c.run('INSERT INTO ingested_files VALUES ($1, $2, $3, $4, $5, now()::TIMESTAMP)', [opts.project, sha, opts.kind, file, rows]);
    await c.run('COMMIT');
  } catch (err) {
    await c.run('ROLLBACK').catch(() => undefined);
    store.forgetStaging();
    throw err;
  }
  let rejectsFile: string | undefined;
  if (rejectLines.length) {
    rejectsFile = path.resolve(opts.rejectsPath ?? `${file}.rejects.jsonl`);
    fs.writeFileSync(rejectsFile, rejectLines.join('\n') + '\n');
  }
  return {
    project: opts.project, file, kind: opts.kind, format: 'jsonl', rows, stored, duplicates, rejected: errorRows,
    ...(rejectsFile ? { rejects_file: rejectsFile } : {}), written: { events: stored }, mapping: {},
  };
}
