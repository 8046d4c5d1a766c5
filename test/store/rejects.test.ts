/**
 * The rejects file of --skip-bad is checked before anything is loaded: never the input itself, never a directory or a
 * path that cannot be written (which used to fail after an event file's good rows were committed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { tmpDir } from '../helpers.js';

const EVENTS = [
  { type: 'outcome', event_id: 'o-1', ts: '2026-01-02T10:00:09Z', request_id: 'r-1', item_id: 'sku-7', kind: 'click', value: 1 },
  { type: 'outcome', event_id: 'o-2', ts: '2026-01-02T10:00:10Z', request_id: 'r-1', item_id: 'sku-7', kind: 'no-such-kind', value: 1 },
  { type: 'outcome', event_id: 'o-3', ts: '2026-01-02T10:00:11Z', request_id: 'r-2', item_id: 'sku-1', kind: 'click', value: 1 },
];
const CSV = 'ts,request_id,item_id,position,propensity\n2026-01-02T10:00:00Z,r-1,a,1,0.5\n2026-01-02T10:00:00Z,r-1,b,2,7\n';

let store: DuckDbStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function setup() {
  const dir = tmpDir();
  store = await DuckDbStore.open(path.join(dir, 'lg.duckdb'));
  const events = path.join(dir, 'ev.jsonl');
  fs.writeFileSync(events, EVENTS.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const csv = path.join(dir, 'ex.csv');
  fs.writeFileSync(csv, CSV);
  return { dir, store, events, csv };
}

describe('rejects file', () => {
  it('refuses the input file itself, and leaves it as it was', async () => {
    const { store, csv } = await setup();
    await expect(store.ingestFile({ project: 'p', path: csv, kind: 'exposures', skipBad: true, rejectsPath: csv })).rejects.toThrow(
      `the rejects file ${csv} is the input file itself; name another file for the bad rows`,
    );
    expect(fs.readFileSync(csv, 'utf8')).toBe(CSV);
  });

  it('refuses a directory or a missing directory before loading any event', async () => {
    const { dir, store, events } = await setup();
    await expect(store.ingestFile({ project: 'p', path: events, kind: 'events', skipBad: true, rejectsPath: dir })).rejects.toThrow(
      `the rejects file ${dir} is a directory; name a file for the bad rows`,
    );
    const missing = path.join(dir, 'no', 'r.jsonl');
    await expect(store.ingestFile({ project: 'p', path: events, kind: 'events', skipBad: true, rejectsPath: missing })).rejects.toThrow(
      `the rejects file ${missing} cannot be written: its directory ${path.join(dir, 'no')} does not exist`,
    );
    // nothing was stored by the refused loads: the two good events are new now, and the bad one goes to the default file
    const r = await store.ingestFile({ project: 'p', path: events, kind: 'events', skipBad: true });
    expect({ stored: r.stored, duplicates: r.duplicates, rejected: r.rejected, file: r.rejects_file }).toEqual({
      stored: 2, duplicates: 0, rejected: 1, file: `${events}.rejects.jsonl`,
    });
    expect(fs.readFileSync(`${events}.rejects.jsonl`, 'utf8')).toContain('o-2');
  });
});
