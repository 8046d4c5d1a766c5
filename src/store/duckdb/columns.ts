/**
 * A query result read column by column straight from DuckDB's vectors: numbers into one Float64Array per column,
 * text into one array of strings. `getColumnsJS()` of @duckdb/node-api gives the same values, but it converts value by
 * value through a generic converter and tests every row's validity bit with BigInt arithmetic; on the 200k rounds of
 * loop health's anchor (7 columns) that took 0.35-0.55 s, which this reader cuts to about a third.
 *
 * The layouts read here are those of DuckDB's C API (duckdb.h): a numeric vector is a plain array of its C type; a
 * validity mask is an array of uint64 words, bit i of the mask (little-endian) set when row i is valid, or absent when
 * every row is; a VARCHAR vector is an array of 16-byte duckdb_string_t, a uint32 length then either the bytes
 * themselves (12 bytes or fewer, "inlined") or a 4-byte prefix and a pointer to them.
 *
 * Strings: the bytes of a chunk's strings are gathered into one buffer and decoded once; when they are all ASCII the
 * strings are cut from the decoded text by byte offsets, otherwise each is decoded by itself. A string equal to the
 * one before it (rows of one decision, sorted together) is not made again. Results with a column of another type
 * (DECIMAL, UHUGEINT, timestamps, lists...) are left to the library (readColumns gives null).
 */
import type { DuckDBDataChunk, DuckDBMaterializedResult, DuckDBTypeId as TypeId } from '@duckdb/node-api';
import type Bindings from '@duckdb/node-bindings';
import type { Column } from '../../analyses/sql.js';
import { bindings, duckdb } from './duckdb-api.js';
import type { Cell, ChunkLayout } from './tables.js';

const { DuckDBTypeId } = duckdb;
type DuckDBTypeId = TypeId;

/** Bytes per value of the numeric types read from raw vectors, with the typed array that views them. */
const RAW_NUMERIC: Partial<Record<DuckDBTypeId, { bytes: number; view: (b: ArrayBuffer, off: number, n: number) => ArrayLike<number | bigint> }>> = {
  [DuckDBTypeId.DOUBLE]: { bytes: 8, view: (b, o, n) => new Float64Array(b, o, n) },
  [DuckDBTypeId.FLOAT]: { bytes: 4, view: (b, o, n) => new Float32Array(b, o, n) },
  [DuckDBTypeId.BIGINT]: { bytes: 8, view: (b, o, n) => new BigInt64Array(b, o, n) },
  [DuckDBTypeId.UBIGINT]: { bytes: 8, view: (b, o, n) => new BigUint64Array(b, o, n) },
  [DuckDBTypeId.INTEGER]: { bytes: 4, view: (b, o, n) => new Int32Array(b, o, n) },
  [DuckDBTypeId.UINTEGER]: { bytes: 4, view: (b, o, n) => new Uint32Array(b, o, n) },
  [DuckDBTypeId.SMALLINT]: { bytes: 2, view: (b, o, n) => new Int16Array(b, o, n) },
  [DuckDBTypeId.USMALLINT]: { bytes: 2, view: (b, o, n) => new Uint16Array(b, o, n) },
  [DuckDBTypeId.TINYINT]: { bytes: 1, view: (b, o, n) => new Int8Array(b, o, n) },
  [DuckDBTypeId.UTINYINT]: { bytes: 1, view: (b, o, n) => new Uint8Array(b, o, n) },
  [DuckDBTypeId.BOOLEAN]: { bytes: 1, view: (b, o, n) => new Uint8Array(b, o, n) },
  // Two's complement, lower 64 bits first (duckdb_hugeint); read as four 32-bit words each, see hugeints().
  [DuckDBTypeId.HUGEINT]: { bytes: 16, view: (b, o, n) => new Uint32Array(b, o, 4 * n) },
};

/** Types the store gives as numbers: those read raw, and DECIMAL and UHUGEINT through the library's converter. */
export const isNumericType = (t: DuckDBTypeId) => RAW_NUMERIC[t] !== undefined || t === DuckDBTypeId.DECIMAL || t === DuckDBTypeId.UHUGEINT;

/** The validity mask of a vector as bytes, or null when every row is valid. */
function validityOf(vector: Bindings.Vector, rows: number): Uint8Array | null {
  return bindings.vector_get_validity(vector, Math.ceil(rows / 64) * 8) ?? null;
}

const isValid = (mask: Uint8Array | null, j: number) => mask === null || (mask[j >>> 3]! & (1 << (j & 7))) !== 0;

/**
 * HUGEINTs (sums of counts, mostly) as numbers: the value is upper * 2^64 + lower, upper signed, each word little-endian
 * pairs of 32-bit halves. Non-negative values below 2^53 are exact in doubles and computed from the halves; the others
 * go through BigInt, which rounds once, as Number(bigint) does.
 */
function hugeints(w: Uint32Array, out: Float64Array, at: number, m: number): void {
  for (let j = 0; j < m; j++) {
    const k = 4 * j;
    if (w[k + 3] === 0 && w[k + 2] === 0 && w[k + 1]! < 0x200000) out[at + j] = w[k + 1]! * 0x100000000 + w[k]!;
    else {
      const big = (BigInt(w[k + 3]!) << 96n) | (BigInt(w[k + 2]!) << 64n) | (BigInt(w[k + 1]!) << 32n) | BigInt(w[k]!);
      out[at + j] = Number(BigInt.asIntN(128, big));
    }
  }
}

function readNumeric(chunks: readonly DuckDBDataChunk[], col: number, type: DuckDBTypeId, rows: number): Float64Array {
  const out = new Float64Array(rows);
  const raw = RAW_NUMERIC[type]!;
  let r = 0;
  for (const chunk of chunks) {
    const m = chunk.rowCount;
    const vector = bindings.data_chunk_get_vector(chunk.chunk, col);
    const data = bindings.vector_get_data(vector, m * raw.bytes);
    const values = raw.view(data.buffer as ArrayBuffer, data.byteOffset, m);
    if (values instanceof Float64Array) out.set(values, r);
    else if (type === DuckDBTypeId.HUGEINT) hugeints(values as Uint32Array, out, r, m);
    else if (type === DuckDBTypeId.BIGINT || type === DuckDBTypeId.UBIGINT) for (let j = 0; j < m; j++) out[r + j] = Number(values[j]);
    else if (type === DuckDBTypeId.BOOLEAN) for (let j = 0; j < m; j++) out[r + j] = values[j] ? 1 : 0;
    else for (let j = 0; j < m; j++) out[r + j] = values[j] as number;
    const mask = validityOf(vector, m);
    if (mask) for (let j = 0; j < m; j++) if (!isValid(mask, j)) out[r + j] = NaN;
    r += m;
  }
  return out;
}

const decoder = new TextDecoder();
let scratch = new Uint8Array(1 << 16);
let ends = new Int32Array(2048);

/**
 * Interning of inlined strings (12 bytes or fewer), for columns that repeat a few values (item ids, versions,
 * strategies): a direct-mapped table keyed by the 16 bytes of the duckdb_string_t, which for an inlined string are its
 * length and its bytes, so equal keys are equal strings. A column whose first chunks hit the table rarely (ids unique
 * per row) stops using it.
 */
const INTERN_SLOTS = 4096;
const internKeys = new Uint32Array(4 * INTERN_SLOTS);
const internValues: Array<string | undefined> = new Array(INTERN_SLOTS);
/** The table slot of an inlined string: its length and its three words of bytes, hashed. */
const internSlot = (len: number, w1: number, w2: number, w3: number) =>
  (Math.imul(len ^ w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca77) ^ Math.imul(w3, 0xc2b2ae3d)) >>> 20;
const HIT = -1;
/** Marks a row equal to the row before it (ids of one decision side by side): it shares that row's string. */
const SAME = -2;

function readVarchar(chunks: readonly DuckDBDataChunk[], col: number, rows: number): Array<string | null> {
  const out = new Array<string | null>(rows);
  internKeys.fill(0);
  internValues.fill(undefined);
  let intern = true, hits = 0, seen = 0;
  let r = 0;
  for (const chunk of chunks) {
    const m = chunk.rowCount;
    const vector = bindings.data_chunk_get_vector(chunk.chunk, col);
    const data = bindings.vector_get_data(vector, m * 16);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const words = intern && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, 4 * m) : null;
    const mask = validityOf(vector, m);
    let total = 0;
    for (let j = 0; j < m; j++) if (isValid(mask, j)) total += view.getUint32(j * 16, true);
    if (scratch.length < total) scratch = new Uint8Array(Math.max(total, scratch.length * 2));
    if (ends.length < m) ends = new Int32Array(m);
    // lastStart/lastLen: the bytes of row j - 1 in scratch, when it was gathered or SAME (-1 otherwise).
    let p = 0, high = 0, lastStart = 0, lastLen = -1;
    for (let j = 0; j < m; j++) {
      if (!isValid(mask, j)) {
        ends[j] = p;
        lastLen = -1;
        continue;
      }
      const at = j * 16, len = view.getUint32(at, true);
      if (words !== null && len <= 12) {
        const w = 4 * j, w1 = words[w + 1]!, w2 = words[w + 2]!, w3 = words[w + 3]!;
        const slot = internSlot(len, w1, w2, w3);
        const k = 4 * slot;
        if (internValues[slot] !== undefined && internKeys[k] === len && internKeys[k + 1] === w1 && internKeys[k + 2] === w2 && internKeys[k + 3] === w3) {
          out[r + j] = internValues[slot]!;
          ends[j] = HIT;
          hits++;
          lastLen = -1;
          continue;
        }
      }
      const bytes = len <= 12 ? data : bindings.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + at + 8, len);
      const from = len <= 12 ? at + 4 : 0;
      let same = len === lastLen;
      for (let k = 0; k < len; k++) {
        const b = bytes[from + k]!;
        high |= b;
        scratch[p + k] = b;
        if (same && scratch[lastStart + k] !== b) same = false;
      }
      if (same) {
        ends[j] = SAME;
        continue;
      }
      lastStart = p;
      lastLen = len;
      p += len;
      ends[j] = p;
    }
    const text = high < 0x80 ? decoder.decode(scratch.subarray(0, p)) : null;
    let q = 0;
    for (let j = 0; j < m; j++, r++) {
      const e = ends[j]!;
      if (e === HIT) continue;
      if (e === SAME) {
        out[r] = out[r - 1]!;
        continue;
      }
      if (!isValid(mask, j)) out[r] = null;
      else {
        const v = text !== null ? text.substring(q, e) : decoder.decode(scratch.subarray(q, e));
        out[r] = v;
        if (words !== null && e - q <= 12) {
          const w = 4 * j, len = e - q, w1 = words[w + 1]!, w2 = words[w + 2]!, w3 = words[w + 3]!;
          const slot = internSlot(len, w1, w2, w3);
          const k = 4 * slot;
          (internKeys[k] = len), (internKeys[k + 1] = w1), (internKeys[k + 2] = w2), (internKeys[k + 3] = w3);
          internValues[slot] = v;
        }
      }
      q = e;
    }
    seen += m;
    if (intern && seen >= 4096 && hits < seen / 8) intern = false;
  }
  return out;
}

/**
 * Every chunk of a materialized result as columns: numeric types as Float64Array (NULL as NaN, booleans as 0/1),
 * VARCHAR as strings; null, before any chunk is fetched, when a column has another type.
 */
export async function readColumns(result: DuckDBMaterializedResult): Promise<Record<string, Column> | null> {
  const names = result.columnNames();
  const types = names.map((_, col) => result.columnTypeId(col));
  if (!types.every((t) => RAW_NUMERIC[t] || t === DuckDBTypeId.VARCHAR)) return null;
  const chunks: DuckDBDataChunk[] = [];
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    chunks.push(chunk);
    rows += chunk.rowCount;
  }
  const out: Record<string, Column> = {};
  names.forEach((name, col) => {
    out[name] = types[col] === DuckDBTypeId.VARCHAR ? readVarchar(chunks, col, rows) : readNumeric(chunks, col, types[col]!, rows);
  });
  return out;
}

/** Scratch for one column of a chunk (2048 rows of 16 bytes) and its validity mask, reused by every call. */
const chunkScratch = new ArrayBuffer(2048 * 16);
const chunkBytes = new Uint8Array(chunkScratch);
const chunkWords = new Uint32Array(chunkScratch);
const chunkDoubles = new Float64Array(chunkScratch);
const chunkInts = new Int32Array(chunkScratch);
const maskScratch = new Uint8Array(2048 / 8);

/**
 * Fills column `col` of a data chunk with cells[start..end) (at most 2048): the values are laid out in a scratch
 * buffer as the vector holds them and copied in with one duckdb_vector call (copy_data_to_vector), nulls as cleared
 * validity bits copied likewise. Strings of at most 12 ASCII characters go in that copy, inlined as DuckDB's string_t
 * holds them (a 4-byte length, then the bytes, zero-padded); longer or non-ASCII ones are assigned one by one after
 * it (duckdb_vector_assign_string_element, which keeps them in the vector's string heap). node-api's
 * DuckDBDataChunk.setColumns writes every value through a wrapper object and every string through that call (on the
 * HTTP ingest benchmark, 1.4 s of the event loop per 250k events, a fifth of its work).
 */
export function writeChunkColumn(chunk: DuckDBDataChunk, col: number, layout: ChunkLayout, cells: readonly Cell[], start: number, end: number): void {
  const m = end - start;
  if (m > 2048) throw new Error(`writeChunkColumn: ${m} rows do not fit one chunk`);
  const vector = bindings.data_chunk_get_vector(chunk.chunk, col);
  let nulls = false;
  const maskBytes = Math.ceil(m / 64) * 8;
  const setNull = (j: number) => {
    if (!nulls) {
      maskScratch.fill(0xff, 0, maskBytes);
      nulls = true;
    }
    maskScratch[j >>> 3] = maskScratch[j >>> 3]! & ~(1 << (j & 7));
  };
  let long: number[] | null = null;
  const width = layout === 'varchar' ? 16 : layout === 'double' ? 8 : layout === 'integer' ? 4 : 1;
  for (let j = 0; j < m; j++) {
    const v = cells[start + j];
    if (v === null || v === undefined) {
      setNull(j);
      if (layout === 'varchar') chunkWords.fill(0, 4 * j, 4 * j + 4);
      else if (layout === 'double') chunkDoubles[j] = 0;
      else if (layout === 'integer') chunkInts[j] = 0;
      else chunkBytes[j] = 0;
      continue;
    }
    if (layout === 'double') chunkDoubles[j] = v as number;
    else if (layout === 'integer') chunkInts[j] = v as number;
    else if (layout === 'boolean') chunkBytes[j] = v ? 1 : 0;
    else {
      const str = v as string, len = str.length, at = 16 * j;
      let inline = len <= 12;
      for (let k = 0; inline && k < len; k++) {
        const c = str.charCodeAt(k);
        if (c >= 0x80) inline = false;
        else chunkBytes[at + 4 + k] = c;
      }
      if (inline) {
        chunkBytes.fill(0, at + 4 + len, at + 16);
        chunkWords[4 * j] = len;
      } else {
        chunkWords.fill(0, 4 * j, 4 * j + 4);
        (long ??= []).push(j);
      }
    }
  }
  bindings.copy_data_to_vector(vector, 0, chunkScratch, 0, m * width);
  if (long) for (const j of long) bindings.vector_assign_string_element(vector, j, cells[start + j] as string);
  if (nulls) {
    bindings.vector_ensure_validity_writable(vector);
    bindings.copy_data_to_vector_validity(vector, 0, maskScratch.buffer, 0, maskBytes);
  }
}
