/**
 * Target policies given as tables of action probabilities (`--target-probs FILE`, or the `probabilities` / `csv` of a
 * target in the HTTP API), parsed and checked here. No I/O: callers pass the text.
 *
 * Two layouts, as CSV with a header line:
 *
 *   long:  round,action,position,probability     one line per (round, action[, position]); position optional
 *   wide:  round[,position],<action id>,<action id>,...   one line per round (or per round and position)
 *
 * `round` is the 0-based index of the logged round (decision) in the order `ope` reads them (by time, then decision
 * id, see query.ts); for a file loaded with --logs whose timestamps never go back, that is its data row order. A
 * `request_id` column may stand in for `round` to name rounds by request id instead. `position` is the position as
 * logged (1, 2, 3 in the Open Bandit Dataset); without it a line applies to every position of its round.
 *
 * Probabilities are pi_e(action | round, position), Open Bandit Pipeline's action_dist[round, action, position]: at
 * each (round, position) they must lie in [0, 1] and sum to 1 within 1e-6, otherwise the table is refused with the
 * lines at fault.
 */
import { UserError } from '../../errors.js';
import { PROB_SUM_TOLERANCE } from './validate.js';

export type RoundKey = 'round' | 'request_id';

export interface TargetTable {
  /** Where it came from, for messages: e.g. `--target-probs a.csv`. */
  source: string;
  /** How rounds are named: 0-based round index, or request id. */
  key: RoundKey;
  /** Action ids, in the order of the probability vectors. */
  actions: string[];
  /** Probabilities per (round, position), aligned with `actions`; see `rowKey`. */
  rows: Map<string, Float64Array>;
  /** First source line of each row, for messages. */
  lines: Map<string, number>;
  /** Largest round index named (key 'round' only), to catch a table made for other logs. */
  maxRound: number;
}

/** The key of a (round, position) row; position null = every position of the round. */
export function rowKey(round: string | number, position: number | null): string {
  return `${round}\u0000${position === null ? '' : position}`;
}

export interface ProbabilityRecord {
  /** Source line (1 = the header line of a CSV) or item index, for messages. */
  line: number;
  round: string;
  action: string;
  position: string | null;
  probability: string | number;
}

/** Splits one CSV line, honouring double quotes ("" inside quotes is a quote). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') (cur += '"'), i++;
        else quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (out.push(cur), (cur = ''));
    else cur += ch;
  }
  out.push(cur);
  return out.map((c) => c.trim());
}

const MAX_LISTED = 5;

function roundOf(source: string, where: string, key: RoundKey, text: string): string {
  if (text === '') throw new UserError(`${source}, ${where}: ${key} is empty`);
  if (key === 'round' && !/^\d+$/.test(text)) {
    throw new UserError(`${source}, ${where}: round must be a whole number >= 0, the 0-based index of the logged round (got '${text}')`);
  }
  return key === 'round' ? String(Number(text)) : text;
}

function positionOf(source: string, where: string, text: string | null): number | null {
  if (text === null || text === '') return null;
  if (!/^-?\d+$/.test(text)) throw new UserError(`${source}, ${where}: position must be a whole number as logged, e.g. 1 (got '${text}')`);
  return Number(text);
}

function probabilityOf(source: string, where: string, field: string, v: string | number): number {
  const p = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
  if (!(p >= 0 && p <= 1)) {
    throw new UserError(`${source}, ${where}: ${field} must be a number in [0, 1] (got ${typeof v === 'number' ? v : `'${v}'`})`);
  }
  return p;
}

/** Refuses rows whose probabilities do not sum to 1, listing them with their lines. */
function checkSums(table: TargetTable, unit: string, linesOf: (k: string) => number[]): void {
  const bad: string[] = [];
  let nBad = 0;
  for (const [k, probs] of table.rows) {
    let s = 0;
    for (let a = 0; a < probs.length; a++) s += probs[a]!;
    if (Math.abs(s - 1) > PROB_SUM_TOLERANCE) {
      nBad++;
      if (bad.length < MAX_LISTED) {
        const [round, pos] = k.split('\u0000');
        const lines = linesOf(k);
        const where = pos === '' ? `${table.key} ${round}` : `${table.key} ${round} at position ${pos}`;
        bad.push(`${where} sums to ${+s.toPrecision(12)} (${unit}${lines.length > 1 ? 's' : ''} ${lines.slice(0, 8).join(', ')}${lines.length > 8 ? ', ...' : ''})`);
      }
    }
  }
  if (nBad > 0) {
    throw new UserError(
      `${table.source}: the probabilities of each (${table.key}, position) must sum to 1 within ${PROB_SUM_TOLERANCE}; ${nBad} do not: ${bad.join('; ')}${nBad > bad.length ? '; ...' : ''}`,
    );
  }
}

/** Builds a table from long records (round, action, position, probability). */
export function targetTableFromRecords(source: string, key: RoundKey, records: readonly ProbabilityRecord[], unit = 'line'): TargetTable {
  if (records.length === 0) throw new UserError(`${source}: no probabilities given`);
  const actions: string[] = [];
  const actionIndex = new Map<string, number>();
  const parsed = records.map((r) => {
    const where = `${unit} ${r.line}`;
    const round = roundOf(source, where, key, r.round.trim());
    const action = r.action.trim();
    if (action === '') throw new UserError(`${source}, ${where}: action is empty`);
    const position = positionOf(source, where, r.position === null ? null : r.position.trim());
    const p = probabilityOf(source, where, 'probability', r.probability);
    if (!actionIndex.has(action)) (actionIndex.set(action, actions.length), actions.push(action));
    return { line: r.line, round, action: actionIndex.get(action)!, position, p };
  });
  const table: TargetTable = { source, key, actions, rows: new Map(), lines: new Map(), maxRound: -1 };
  const lineList = new Map<string, number[]>();
  const seen = new Map<string, number>();
  for (const r of parsed) {
    const k = rowKey(r.round, r.position);
    let probs = table.rows.get(k);
    if (probs === undefined) {
      probs = new Float64Array(actions.length);
      table.rows.set(k, probs);
      table.lines.set(k, r.line);
      lineList.set(k, []);
    }
    const cell = `${k}\u0000${r.action}`;
    const first = seen.get(cell);
    if (first !== undefined) {
      throw new UserError(
        `${source}, ${unit} ${r.line}: action '${actions[r.action]}' of ${key} ${r.round}${r.position === null ? '' : ` at position ${r.position}`} was already given on ${unit} ${first}`,
      );
    }
    seen.set(cell, r.line);
    probs[r.action] = r.p;
    lineList.get(k)!.push(r.line);
    if (key === 'round') table.maxRound = Math.max(table.maxRound, Number(r.round));
  }
  checkSums(table, unit, (k) => lineList.get(k)!);
  return table;
}

/** Parses a long or wide CSV of target probabilities (see the module comment). */
export function parseTargetCsv(source: string, text: string): TargetTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new UserError(`${source}: the file is empty; expected a header line such as round,action,position,probability`);
  const header = splitCsvLine(lines[0]!);
  const lower = header.map((h) => h.toLowerCase());
  const key: RoundKey | null = lower.includes('round') ? 'round' : lower.includes('request_id') ? 'request_id' : null;
  if (key === null) {
    throw new UserError(
      `${source}: the header needs a 'round' (or 'request_id') column; expected round,action,position,probability (long) or round,<action>,<action>,... (wide), got ${header.join(',')}`,
    );
  }
  const iRound = lower.indexOf(key);
  const iPos = lower.indexOf('position');
  const dataLines: Array<{ line: number; cells: string[] }> = [];
  for (let j = 1; j < lines.length; j++) {
    if (lines[j]!.trim() === '') continue;
    const cells = splitCsvLine(lines[j]!);
    if (cells.length !== header.length) {
      throw new UserError(`${source}, line ${j + 1}: ${cells.length} fields where the header has ${header.length}`);
    }
    dataLines.push({ line: j + 1, cells });
  }
  if (dataLines.length === 0) throw new UserError(`${source}: no data lines after the header`);

  const iAction = lower.indexOf('action');
  const iProb = lower.indexOf('probability');
  if (iAction >= 0 || iProb >= 0) {
    if (iAction < 0 || iProb < 0) {
      throw new UserError(`${source}: a long table needs both 'action' and 'probability' columns (got ${header.join(',')})`);
    }
    const extra = header.filter((_, i) => i !== iRound && i !== iPos && i !== iAction && i !== iProb);
    if (extra.length) throw new UserError(`${source}: unexpected column${extra.length > 1 ? 's' : ''} ${extra.map((e) => `'${e}'`).join(', ')} in a long table (round,action,position,probability)`);
    return targetTableFromRecords(
      source,
      key,
      dataLines.map(({ line, cells }) => ({
        line,
        round: cells[iRound]!,
        action: cells[iAction]!,
        position: iPos >= 0 ? cells[iPos]! : null,
        probability: cells[iProb]!,
      })),
    );
  }

  // Wide: every other column is an action.
  const actionCols = header.map((h, i) => ({ h, i })).filter(({ i }) => i !== iRound && i !== iPos);
  if (actionCols.length === 0) throw new UserError(`${source}: no action columns; a wide table is round[,position],<action>,<action>,...`);
  const dup = actionCols.find(({ h }, j) => actionCols.findIndex((c) => c.h === h) !== j);
  if (dup) throw new UserError(`${source}: action column '${dup.h}' appears twice in the header`);
  const empty = actionCols.find(({ h }) => h === '');
  if (empty) throw new UserError(`${source}: header column ${empty.i + 1} has no action id`);
  const table: TargetTable = { source, key, actions: actionCols.map(({ h }) => h), rows: new Map(), lines: new Map(), maxRound: -1 };
  for (const { line, cells } of dataLines) {
    const where = `line ${line}`;
    const round = roundOf(source, where, key, cells[iRound]!);
    const position = iPos >= 0 ? positionOf(source, where, cells[iPos]!) : null;
    const k = rowKey(round, position);
    const before = table.lines.get(k);
    if (before !== undefined) {
      throw new UserError(`${source}, ${where}: ${key} ${round}${position === null ? '' : ` at position ${position}`} was already given on line ${before}`);
    }
    const probs = new Float64Array(actionCols.length);
    actionCols.forEach(({ h, i }, a) => (probs[a] = probabilityOf(source, where, `column '${h}'`, cells[i]!)));
    table.rows.set(k, probs);
    table.lines.set(k, line);
    if (key === 'round') table.maxRound = Math.max(table.maxRound, Number(round));
  }
  checkSums(table, 'line', (k) => [table.lines.get(k)!]);
  return table;
}
