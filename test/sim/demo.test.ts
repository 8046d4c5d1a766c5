/**
 * The demo store's saved keys (src/sim/demo.ts): one `<store file>.demo.json` per store (mode 0600), so two demo stores
 * in one folder keep their own; a `demo.json` left in the folder by an earlier version is moved beside the store it
 * belongs to and left alone by the others; the context attributes when asked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { buildDemoStore, demoInfoPath, legacyDemoInfoPath, loadDemoInfo, readDemoInfo, type DemoInfo } from '../../src/sim/demo.js';
import { tmpDir } from '../helpers.js';

const SMALL = { days: 3, users: 60, items: 40 } as const;

/** The project each key opens in the store (null for a key the store does not know). */
async function projectsOfKeys(dbPath: string, info: DemoInfo): Promise<Array<string | null>> {
  const store = await DuckDbStore.open(dbPath);
  try {
    return await Promise.all(info.projects.map((p) => store.projectForKey(p.key)));
  } finally {
    await store.close();
  }
}

describe('demo keys beside each store', () => {
  it('two demo stores in one folder keep their own keys in <store file>.demo.json, mode 0600', async () => {
    const dir = tmpDir('lg-demo2-');
    const a = path.join(dir, 'a.duckdb'), b = path.join(dir, 'b.duckdb');
    const ia = await buildDemoStore({ dbPath: a, ...SMALL, seed: 1 });
    const ib = await buildDemoStore({ dbPath: b, ...SMALL, seed: 2 });
    expect(demoInfoPath(a)).toBe(`${a}.demo.json`);
    for (const [db, info] of [[a, ia], [b, ib]] as const) {
      expect(fs.statSync(`${db}.demo.json`).mode & 0o777).toBe(0o600);
      expect(readDemoInfo(db)).toEqual(info);
      expect(await loadDemoInfo(db)).toEqual(info);
      expect(await projectsOfKeys(db, info)).toEqual(info.projects.map((p) => p.project));
    }
    expect(fs.existsSync(path.join(dir, 'demo.json'))).toBe(false);
    // Each store's keys are its own: a's keys open nothing in b.
    expect(ia.projects.map((p) => p.key)).not.toEqual(ib.projects.map((p) => p.key));
    expect(await projectsOfKeys(b, ia)).toEqual(ia.projects.map(() => null));
  }, 90_000);

  it('a legacy demo.json is moved beside the store it belongs to, and left alone by another store in the folder', async () => {
    const dir = tmpDir('lg-demo-legacy-');
    const a = path.join(dir, 'loopguard.duckdb'), b = path.join(dir, 'other.duckdb');
    const ia = await buildDemoStore({ dbPath: a, ...SMALL });
    await buildDemoStore({ dbPath: b, ...SMALL });
    // What an earlier version left: a's keys in the folder's demo.json, nothing beside the stores.
    const legacy = legacyDemoInfoPath(a);
    expect(legacy).toBe(path.join(dir, 'demo.json'));
    fs.renameSync(`${a}.demo.json`, legacy);
    fs.rmSync(`${b}.demo.json`);
    const text = fs.readFileSync(legacy, 'utf8');
    // Not b's: b finds no demo info and the file stays as it was.
    expect(await loadDemoInfo(b)).toBeNull();
    expect(fs.readFileSync(legacy, 'utf8')).toBe(text);
    expect(fs.existsSync(`${b}.demo.json`)).toBe(false);
    // a's: moved to a's own file, 0600, same content.
    expect(readDemoInfo(a)).toBeNull();
    expect(await loadDemoInfo(a)).toEqual(ia);
    expect(fs.existsSync(legacy)).toBe(false);
    expect(fs.readFileSync(`${a}.demo.json`, 'utf8')).toBe(text);
    expect(fs.statSync(`${a}.demo.json`).mode & 0o777).toBe(0o600);
    expect(await loadDemoInfo(a)).toEqual(ia);
  }, 90_000);

  it('a legacy demo.json without a store, or not describing a demo, is not taken', async () => {
    const dir = tmpDir('lg-demo-none-');
    const db = path.join(dir, 'x.duckdb');
    fs.writeFileSync(path.join(dir, 'demo.json'), JSON.stringify({ projects: [{ project: 'demo-naive', loop: 'naive', key: 'lg_x_y' }], main: 'demo-naive' }));
    expect(await loadDemoInfo(db)).toBeNull(); // no store file
    fs.writeFileSync(`${db}.demo.json`, '{"projects": "nope"}');
    expect(readDemoInfo(db)).toBeNull();
    expect(fs.existsSync(path.join(dir, 'demo.json'))).toBe(true);
  });

  it('the context attributes are logged by default, and not when turned off', async () => {
    const dir = tmpDir('lg-demo-attr-');
    const withAttrs = path.join(dir, 'with.duckdb'), without = path.join(dir, 'without.duckdb');
    await buildDemoStore({ dbPath: withAttrs, ...SMALL });
    await buildDemoStore({ dbPath: without, ...SMALL, attributes: false });
    const count = async (db: string) => {
      const s = await DuckDbStore.open(db);
      try {
        const [r] = await s.query('SELECT count(*) AS n, count(attributes) AS a FROM decisions');
        return [Number(r!.n), Number(r!.a)];
      } finally {
        await s.close();
      }
    };
    const [n1, a1] = await count(withAttrs);
    const [n2, a2] = await count(without);
    expect(n1).toBeGreaterThan(0);
    expect(a1).toBe(n1);
    expect(n2).toBe(n1); // the same simulation either way
    expect(a2).toBe(0);
  }, 90_000);
});
