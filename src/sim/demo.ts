/**
 * The demo store behind `npm start`: one simulation (run.ts) written into a store, one project per loop
 * (demo-naive, demo-guarded, demo-random, demo-popularity, demo-oracle), one API key per project. Keys are stored
 * hashed, so their plaintext is kept beside the store in `<store file>.demo.json` (mode 0600) for later runs and for
 * the dashboard's URL: one file per store, so two demo stores in one folder keep their own keys.
 *
 * Earlier versions kept it in `<store dir>/demo.json`, one per folder. loadDemoInfo moves such a file to
 * `<store file>.demo.json` when it belongs to the store (every key in it opens its project in that store), and leaves
 * it alone when it belongs to another store in the folder.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface DemoInfo {
  projects: { project: string; loop: string; key: string }[];
  /** The project the dashboard opens first. */
  main: string;
}

export interface DemoOptions {
  dbPath: string;
  seed?: number;
  days?: number;
  users?: number;
  items?: number;
  /**
   * Log the request context (segment, device, tenure_days, new_user, hour, visits_7d; src/sim/context.ts) as decision
   * attributes, for the drift pages. Default true.
   */
  attributes?: boolean;
  onProgress?: (done: number, total: number, stage: string) => void;
}

/** The demo's size: small enough to build in well under a minute on two shared cores. */
export const DEMO_DEFAULTS = { seed: 7, days: 21, users: 600, items: 250 } as const;
export const DEMO_PREFIX = 'demo-';
/** The first project the dashboard shows: the loop that poisons its own data. */
export const DEMO_MAIN = 'demo-naive';

/** The demo info of the store at dbPath: `<store file>.demo.json`. */
export const demoInfoPath = (dbPath: string) => `${path.resolve(dbPath)}.demo.json`;
/** Where earlier versions kept it: `demo.json` in the store's folder, shared by every store there. */
export const legacyDemoInfoPath = (dbPath: string) => path.join(path.dirname(path.resolve(dbPath)), 'demo.json');

function parseDemoInfo(file: string): DemoInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as DemoInfo;
    if (!Array.isArray(info.projects) || !info.projects.length || typeof info.main !== 'string' || !info.projects.every((p) => typeof p.key === 'string' && typeof p.project === 'string')) return null;
    return info;
  } catch {
    return null;
  }
}

/** The saved demo info of a store (`<store file>.demo.json`), or null when there is none or it does not describe a demo. */
export function readDemoInfo(dbPath: string): DemoInfo | null {
  return parseDemoInfo(demoInfoPath(dbPath));
}

/**
 * The demo info of a store: `<store file>.demo.json`, or else a legacy `<store dir>/demo.json` that belongs to this
 * store, which is then moved to `<store file>.demo.json` (renamed, mode 0600). It belongs to the store when every key in
 * it opens its project in the store (the store is opened to check; it must not be held by a running server). A legacy
 * file of another store, or one that is not demo info, is left where it is.
 */
export async function loadDemoInfo(dbPath: string): Promise<DemoInfo | null> {
  const current = readDemoInfo(dbPath);
  if (current) return current;
  const legacy = legacyDemoInfoPath(dbPath);
  const info = parseDemoInfo(legacy);
  if (!info || !fs.existsSync(dbPath)) return null;
  const { DuckDbStore } = await import('../store/duckdb/store.js');
  const store = await DuckDbStore.open(path.resolve(dbPath));
  let ours = true;
  try {
    for (const p of info.projects)
      if ((await store.projectForKey(p.key)) !== p.project) {
        ours = false;
        break;
      }
  } finally {
    await store.close();
  }
  if (!ours) return null;
  const file = demoInfoPath(dbPath);
  fs.renameSync(legacy, file);
  fs.chmodSync(file, 0o600);
  return info;
}

/**
 * Builds the demo projects in the store at dbPath (a new store, or an existing one without demo projects) and saves
 * the DemoInfo to `<store file>.demo.json` (0600). The main project's entry comes first.
 */
export async function buildDemoStore(opts: DemoOptions): Promise<DemoInfo> {
  const dbPath = path.resolve(opts.dbPath);
  fs.mkdirSync(path.dirname(dbPath), { recursive: true });
  const { runSimulation } = await import('./run.js');
  const out = await runSimulation({
    dbPath,
    days: opts.days ?? DEMO_DEFAULTS.days,
    seed: opts.seed ?? DEMO_DEFAULTS.seed,
    world: { users: opts.users ?? DEMO_DEFAULTS.users, items: opts.items ?? DEMO_DEFAULTS.items },
    projectPrefix: DEMO_PREFIX,
    analyses: false,
    attributes: opts.attributes ?? true,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const projects = [...out.projects]
    .sort((a, b) => (a.project === DEMO_MAIN ? -1 : b.project === DEMO_MAIN ? 1 : 0))
    .map((p) => ({ project: p.project, loop: p.loop, key: p.key }));
  const info: DemoInfo = { projects, main: DEMO_MAIN };
  const file = demoInfoPath(dbPath);
  fs.writeFileSync(file, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return info;
}
