/**
 * The demo store behind `npm start`: one simulation (run.ts) written into a store, one project per loop
 * (demo-naive, demo-guarded, demo-random, demo-popularity, demo-oracle), one API key per project. Keys are stored
 * hashed, so their plaintext is kept in <store dir>/demo.json (mode 0600) for later runs and for the dashboard's URL.
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
  onProgress?: (done: number, total: number, stage: string) => void;
}

/** The demo's size: small enough to build in well under a minute on two shared cores. */
export const DEMO_DEFAULTS = { seed: 7, days: 21, users: 600, items: 250 } as const;
export const DEMO_PREFIX = 'demo-';
/** The first project the dashboard shows: the loop that poisons its own data. */
export const DEMO_MAIN = 'demo-naive';

export const demoInfoPath = (dbPath: string) => path.join(path.dirname(path.resolve(dbPath)), 'demo.json');

/** The saved demo info next to a store, or null when there is none (or it does not describe a demo). */
export function readDemoInfo(dbPath: string): DemoInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(demoInfoPath(dbPath), 'utf8')) as DemoInfo;
    if (!Array.isArray(info.projects) || typeof info.main !== 'string' || !info.projects.every((p) => typeof p.key === 'string' && typeof p.project === 'string')) return null;
    return info;
  } catch {
    return null;
  }
}

/**
 * Builds the demo projects in the store at dbPath (a new store, or an existing one without demo projects) and saves
 * the DemoInfo to <store dir>/demo.json (0600). The main project's entry comes first.
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
