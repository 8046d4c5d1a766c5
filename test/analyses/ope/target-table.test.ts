/** --target-probs tables: long and wide layouts, and the exact refusal of bad files (line numbers, fields). */
import { describe, expect, it } from 'vitest';
import { parseTargetCsv, targetTableFromRecords } from '../../../src/analyses/ope/index.js';
import { rowKey } from '../../../src/analyses/ope/target-table.js';
import { UserError } from '../../../src/errors.js';

describe('parseTargetCsv', () => {
  it('long: rows per (round, position), actions in order of appearance', () => {
    const t = parseTargetCsv('t.csv', 'round,action,position,probability\n0,a,1,0.25\n0,b,1,0.75\n0,a,2,1\n1,b,1,1\n');
    expect(t.key).toBe('round');
    expect(t.actions).toEqual(['a', 'b']);
    expect([...t.rows.get(rowKey(0, 1))!]).toEqual([0.25, 0.75]);
    expect([...t.rows.get(rowKey(0, 2))!]).toEqual([1, 0]);
    expect([...t.rows.get(rowKey(1, 1))!]).toEqual([0, 1]);
    expect(t.lines.get(rowKey(0, 2))).toBe(4);
    expect(t.maxRound).toBe(1);
  });

  it('long without position: a row applies to every position; request_id may name rounds', () => {
    const t = parseTargetCsv('t.csv', 'request_id,action,probability\r\nr-1,x,0.5\r\nr-1,"y, z",0.5\r\n');
    expect(t.key).toBe('request_id');
    expect(t.actions).toEqual(['x', 'y, z']);
    expect([...t.rows.get(rowKey('r-1', null))!]).toEqual([0.5, 0.5]);
  });

  it('wide: one column per action, optional position column', () => {
    const t = parseTargetCsv('w.csv', 'round,position,3,1,2\n0,1,0.2,0.3,0.5\n0,2,1,0,0\n');
    expect(t.actions).toEqual(['3', '1', '2']);
    expect([...t.rows.get(rowKey(0, 1))!]).toEqual([0.2, 0.3, 0.5]);
    expect([...t.rows.get(rowKey(0, 2))!]).toEqual([1, 0, 0]);
  });

  it('sums within 1e-6 pass', () => {
    expect(() => parseTargetCsv('t.csv', 'round,a,b\n0,0.3333333,0.6666666\n')).not.toThrow();
  });

  it.each([
    ['', "t.csv: the file is empty; expected a header line such as round,action,position,probability"],
    ['action,probability\na,1', "t.csv: the header needs a 'round' (or 'request_id') column; expected round,action,position,probability (long) or round,<action>,<action>,... (wide), got action,probability"],
    ['round,action,position,probability\n', 't.csv: no data lines after the header'],
    ['round,action,probability\n0,a,1\n0,b', 't.csv, line 3: 2 fields where the header has 3'],
    ['round,action,position\n0,a,1', "t.csv: a long table needs both 'action' and 'probability' columns (got round,action,position)"],
    ['round,action,probability,weight\n0,a,1,2', "t.csv: unexpected column 'weight' in a long table (round,action,position,probability)"],
    ['round,action,probability\n-1,a,1', "t.csv, line 2: round must be a whole number >= 0, the 0-based index of the logged round (got '-1')"],
    ['round,action,position,probability\n0,a,first,1', "t.csv, line 2: position must be a whole number as logged, e.g. 1 (got 'first')"],
    ['round,action,probability\n0,a,1.5', "t.csv, line 2: probability must be a number in [0, 1] (got '1.5')"],
    ['round,action,probability\n0,a,', "t.csv, line 2: probability must be a number in [0, 1] (got '')"],
    ['round,action,probability\n0,,1', 't.csv, line 2: action is empty'],
    ['round,action,probability\n0,a,0.5\n0,a,0.5', "t.csv, line 3: action 'a' of round 0 was already given on line 2"],
    [
      'round,action,position,probability\n0,a,1,0.5\n0,b,1,0.4\n0,a,2,1\n1,a,1,0.2\n1,b,1,0.2',
      't.csv: the probabilities of each (round, position) must sum to 1 within 0.000001; 2 do not: round 0 at position 1 sums to 0.9 (lines 2, 3); round 1 at position 1 sums to 0.4 (lines 5, 6)',
    ],
    ['round,a,b\n0,0.5,0.4\n1,1,0', 't.csv: the probabilities of each (round, position) must sum to 1 within 0.000001; 1 do not: round 0 sums to 0.9 (line 2)'],
    ['round,a,b\n0,0.5,x', "t.csv, line 2: column 'b' must be a number in [0, 1] (got 'x')"],
    ['round,a,a\n0,0.5,0.5', "t.csv: action column 'a' appears twice in the header"],
    ['round\n0', 't.csv: no action columns; a wide table is round[,position],<action>,<action>,...'],
    ['round,a\n0,1\n0,1', 't.csv, line 3: round 0 was already given on line 2'],
  ])('refuses %j', (text, message) => {
    let err: unknown;
    try {
      parseTargetCsv('t.csv', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(message);
  });

  it('records from an API body number items, not lines', () => {
    expect(() =>
      targetTableFromRecords('targets[0] (t)', 'round', [
        { line: 0, round: '0', action: 'a', position: null, probability: 0.5 },
        { line: 1, round: '0', action: 'b', position: null, probability: 0.4 },
      ], 'item'),
    ).toThrow('targets[0] (t): the probabilities of each (round, position) must sum to 1 within 0.000001; 1 do not: round 0 sums to 0.9 (items 0, 1)');
  });
});
