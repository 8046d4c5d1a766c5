/**
 * The simulation driver. Every simulated day, for every loop, each user present decides whether to visit (from the
 * engagement that loop has earned), the loop chooses a slate through the SDK, the user clicks by the world's click model,
 * and the decision and its clicks go through the SDK client (src/sdk/client.ts) to a real Loopguard ingest server on
 * loopback, into a DuckDB store, one project per loop. At the end of the day the learning loops retrain and post their
 * offline metric to the server; then the world moves on (drift, new users and items). Loop-health and OPE run on the
 * store at the end.
 *
 * Same seed, same numbers: the world, every loop's choices and every click come from seeded generators; users' visit and
 * click coins are common random numbers (drawn from (seed, day, user), the same for every loop), so loops differ only by
 * what they show. Simulated day d is stamped baseDate + d days, so analyses split by `--window day` see one group per
 * simulated day; a learning loop's policy_version is `day-NN` for the model trained on the logs before day NN. Within
 * the day, a visit's time follows the hourly traffic curve of context.ts, and each decision carries the request context
 * (segment, device, tenure_days, new_user, hour, visits_7d) as its attributes, for drift monitoring.
 *
 * Metrics, per loop and day (group {loop, day}):
 * - true_utility: expected wanted clicks (world.ts; habit clicks excluded) per user in the world that day (users who
 *   stayed away count 0): what the loop delivers to the whole population, known only in simulation.
 * - ctr: observed clicks (wanted and habit) per exposure, what a dashboard shows.
 * - offline_metric: hit rate at k of the day's held-out logged clicks under the ranking retrained on the day's logs
 *   (loops.ts); none for random.
 * - gini: Gini of the day's exposure counts over the current catalog (src/stats/gini.ts).
 * - coverage: share of the current catalog shown at least once that day.
 * - homogenization: mean Jaccard index of the cumulative consumed (clicked) sets over a fixed sample of user pairs,
 *   minus the same for the oracle (Chaney et al. 2018, section 5.2, as in the T-RECS replication of Lucherini et al.
 *   2021): above 0 = users' behaviour is more alike than under ideal recommendations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type LoopguardClient } from '../sdk/client.js';
import { startServer, type RunningServer } from '../server/serve.js';
import { gini } from '../stats/gini.js';
import { createRng } from '../stats/rng.js';
import { UserError } from '../errors.js';
import type { Metric, Result, Verdict } from '../analyses/result.js';
import { loopHealth } from '../analyses/loop-health/index.js';
import { ope } from '../analyses/ope/analyze.js';
import { DEFAULT_MODEL, type ModelParams } from './model.js';
import { DEFAULT_GUARD, LOOP_NAMES, Loop, prelaunch, type GuardParams, type LoopName } from './loops.js';
import { DEFAULT_WORLD, World, mix, type WorldParams } from './world.js';
import { UserContext, VisitHistory, secondOfDay } from './context.js';

/** Simulated day 0 (UTC). Fixed, so the same seed gives the same timestamps. */
export const BASE_DATE = '2025-01-01';
const DAY_MS = 86_400_000;

export interface SimulationOptions {
  days: number;
  seed: number;
  world?: Partial<WorldParams>;
  model?: Partial<ModelParams>;
  guard?: Partial<GuardParams>;
  /** Store file; a fresh temporary one (deleted afterwards) when absent. */
  dbPath?: string;
  /** Projects are named prefix + loop (default 'sim-'). */
  projectPrefix?: string;
  /** User pairs sampled for homogenization. */
  pairs?: number;
  /** Run loop-health and OPE on the store at the end (default true). */
  analyses?: boolean;
  /** Log each decision's request context as its attributes (context.ts; default true). */
  attributes?: boolean;
  onProgress?: (done: number, total: number, stage: string) => void;
}

export interface SimulationOutput {
  result: Result;
  projects: Array<{ project: string; loop: LoopName; key: string }>;
  /** loop-health of each loop's project, by policy version. */
  loopHealth: Partial<Record<LoopName, Result>>;
  /** OPE on the guarded loop's exploration traffic. */
  ope: Result | null;
  /** Counts per loop, as the simulator sent them. */
  sent: Record<LoopName, { decisions: number; exposures: number; clicks: number }>;
}

export const SIM_METRICS = ['true_utility', 'ctr', 'offline_metric', 'gini', 'coverage', 'homogenization'] as const;

export function dayLabel(d: number): string {
  return new Date(Date.parse(`${BASE_DATE}T00:00:00Z`) + d * DAY_MS).toISOString().slice(0, 10);
}

export function versionLabel(d: number): string {
  return `day-${String(d).padStart(2, '0')}`;
}

function checkOptions(o: SimulationOptions): void {
  if (!Number.isInteger(o.days) || o.days < 2 || o.days > 365) throw new UserError(`--days must be a whole number from 2 to 365 (got ${o.days})`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new UserError(`--seed must be a whole number >= 0 (got ${o.seed})`);
  const last = Date.parse(`${BASE_DATE}T00:00:00Z`) + o.days * DAY_MS;
  if (last > Date.now() + 12 * 3600 * 1000) throw new UserError(`--days ${o.days} would stamp events after today (day 0 is ${BASE_DATE}); use fewer days`);
  if (o.projectPrefix !== undefined && !/^[A-Za-z0-9_.-]{0,64}$/.test(o.projectPrefix))
    throw new UserError(`--project-prefix may use letters, digits, '_', '.' and '-' only (got '${o.projectPrefix}')`);
}

/** Average Jaccard index |A ∩ B| / |A ∪ B| over pairs whose union is not empty (null if none is). */
export function meanJaccard(sets: ReadonlyArray<ReadonlySet<number>>, pairs: Int32Array): number | null {
  let s = 0, n = 0;
  for (let j = 0; j < pairs.length; j += 2) {
    const a = sets[pairs[j]!], b = sets[pairs[j + 1]!];
    if (!a || !b) continue;
    const [small, large] = a.size <= b.size ? [a, b] : [b, a];
    let inter = 0;
    for (const x of small) if (large.has(x)) inter++;
    const union = a.size + b.size - inter;
    if (union === 0) continue;
    s += inter / union;
    n++;
  }
  return n ? s / n : null;
}

export async function runSimulation(o: SimulationOptions): Promise<SimulationOutput> {
  checkOptions(o);
  const worldParams: WorldParams = { ...DEFAULT_WORLD, ...(o.world ?? {}) };
  const modelParams: ModelParams = { ...DEFAULT_MODEL, ...(o.model ?? {}) };
  const guard: GuardParams = { ...DEFAULT_GUARD, ...(o.guard ?? {}) };
  let world: World;
  try {
    world = new World(worldParams, o.seed);
  } catch (err) {
    throw new UserError(`simulation parameter ${(err as Error).message}`);
  }
  for (const [k, v] of Object.entries(guard))
    if (k === 'freshDays' ? !(Number.isInteger(v) && v >= 0) : !(typeof v === 'number' && v >= 0 && (k === 'ipsClip' ? v >= 1 : v <= 1)))
      throw new UserError(`${k} must be ${k === 'freshDays' ? 'a whole number >= 0' : k === 'ipsClip' ? 'a number >= 1' : 'in [0, 1]'} (got ${v})`);
  if (guard.holdoutShare + guard.explorationShare > 1) throw new UserError('holdoutShare + explorationShare must be <= 1');
  const prefix = o.projectPrefix ?? 'sim-';
  const totalSteps = o.days * LOOP_NAMES.length + (o.analyses === false ? 0 : LOOP_NAMES.length + 1);
  let done = 0;
  const progress = (stage: string) => o.onProgress?.(++done, totalSteps, stage);

  let tmp: string | null = null;
  const dbPath = o.dbPath ?? path.join((tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-sim-'))), 'sim.duckdb');
  let server: RunningServer;
  try {
    server = await startServer({ dbPath, port: 0, host: '127.0.0.1' });
  } catch (err) {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const clients: LoopguardClient[] = [];
  try {
    for (const name of LOOP_NAMES) {
      const stats = await server.store.projectStats(prefix + name);
      if (stats.totals.decision > 0)
        throw new UserError(`project '${prefix + name}' already has events in ${dbPath}; use a fresh --db or another --project-prefix`);
    }
    const projects: SimulationOutput['projects'] = [];
    for (const loop of LOOP_NAMES) projects.push({ project: prefix + loop, loop, key: (await server.store.createApiKey(prefix + loop)).key });

    const pre = prelaunch(world, o.seed, modelParams);
    const loops = LOOP_NAMES.map((name) => new Loop(name, world, o.seed, modelParams, guard, pre.model, pre.popularity));
    const byName = new Map(loops.map((l) => [l.name, l]));
    const context = o.attributes === false ? null : new UserContext(world, o.seed);
    const visits = context ? loops.map(() => new VisitHistory(context)) : null;
    for (const p of projects)
      clients.push(
        createClient({
          url: server.url, apiKey: p.key, batchSize: 2000, flushIntervalMs: 50, maxBuffer: 10_000_000, overflow: 'reject', maxInFlight: 2,
          validate: 'off', onError: () => {},
        }),
      );
    const metrics: Metric[] = [];
    const sent = Object.fromEntries(LOOP_NAMES.map((l) => [l, { decisions: 0, exposures: 0, clicks: 0 }])) as SimulationOutput['sent'];
    const pairCount = o.pairs ?? 2000;
    const k = worldParams.slateSize;
    const base = Date.parse(`${BASE_DATE}T00:00:00Z`);
    const offlineByLoop = new Map<LoopName, Array<number | null>>();
    const posts: Array<Promise<void>> = [];
    let postError: Error | null = null;

    for (let d = 0; d < o.days; d++) {
      const day = dayLabel(d);
      const version = versionLabel(d);
      const nUsers = world.nUsers, nItems = world.nItems;
      const pairRng = createRng(mix(o.seed, 0x9a1, d));
      const pairs = new Int32Array(2 * pairCount);
      for (let j = 0; j < pairs.length; j++) pairs[j] = pairRng.int(nUsers);
      const jaccard = new Map<LoopName, number | null>();
      context?.sync();
      for (let li = 0; li < loops.length; li++) {
        const loop = loops[li]!;
        const client = clients[li]!;
        const project = projects[li]!.project;
        loop.sync();
        const counts = new Float64Array(nItems);
        let utility = 0, clicks = 0, exposures = 0, first = true;
        for (let u = 0; u < nUsers; u++) {
          // Common random numbers: the same coins for this user and day in every loop.
          const coins = createRng(mix(o.seed, d, u, 0x7e5));
          const visit = coins.next();
          const second = secondOfDay(coins.next());
          const clickCoins = Array.from({ length: 3 * k }, () => coins.next());
          if (visit >= worldParams.visitRate * loop.engagement[u]!) continue;
          const choice = loop.choose(u);
          const ts = base + d * DAY_MS + second * 1000;
          const requestId = `${project}-${d}-${u}`;
          // A slot is looked at with probability exam(k); a looked-at item is clicked because the user wants it
          // (probability rel) or, failing that, out of habit (probability habitClick). Only wants satisfy.
          let satisfied = false;
          const clicked = choice.items.map((it, slot) => {
            if (clickCoins[3 * slot]! >= world.exam[slot]!) return false;
            if (clickCoins[3 * slot + 1]! < world.relevance(u, it)) return (satisfied = true);
            return clickCoins[3 * slot + 2]! < world.habitClick(loop.habit, u * world.D, it);
          });
          world.updateHabit(loop.habit, u * world.D, choice.items);
          utility += world.expectedClicks(u, choice.items);
          client.logDecision({
            event_id: `d-${requestId}`, ts: new Date(ts), request_id: requestId, user_id: world.users[u]!.id, surface: 'home',
            policy: `sim-${loop.name}`, policy_version: version, strategy: choice.slate.strategy, shown: choice.slate.shown,
            ...(context ? { attributes: context.attributes(u, second, visits![li]!) } : {}),
            // The catalog of the day rides on the day's first decision, so loop-health knows what was never shown.
            ...(first ? { candidates: world.items.map((it) => it.id) } : {}),
          });
          first = false;
          clicked.forEach((c, slot) => {
            counts[choice.items[slot]!]!++;
            if (!c) return;
            clicks++;
            client.logOutcome({ event_id: `c-${requestId}-${slot + 1}`, ts: new Date(ts + 5000 + 1000 * slot), request_id: requestId, item_id: choice.slate.shown[slot]!.item_id, kind: 'click', value: 1 });
          });
          exposures += choice.items.length;
          sent[loop.name].decisions++;
          sent[loop.name].exposures += choice.items.length;
          const er = worldParams.engagementRate;
          loop.engagement[u] = Math.max(worldParams.minEngagement, (1 - er) * loop.engagement[u]! + er * (satisfied ? 1 : 0));
          loop.record(u, choice, clicked, loop.groupOf(u) === 'holdout');
          visits?.[li]!.visit(u);
        }
        visits?.[li]!.endDay();
        sent[loop.name].clicks += clicks;
        let shown = 0;
        for (let i = 0; i < nItems; i++) if (counts[i]! > 0) shown++;
        const group = { loop: loop.name, day };
        metrics.push({ name: 'true_utility', value: utility / nUsers, group, n: nUsers, unit: 'expected wanted clicks per user' });
        metrics.push({ name: 'ctr', value: exposures ? clicks / exposures : null, group, n: exposures });
        metrics.push({ name: 'gini', value: exposures ? gini(counts, nItems) : null, group, n: exposures });
        metrics.push({ name: 'coverage', value: shown / nItems, group, n: nItems });
        jaccard.set(loop.name, meanJaccard(loop.consumed, pairs));
        const offline = loop.endOfDay();
        metrics.push({ name: 'offline_metric', value: offline, group, unit: `hit rate at ${k} of held-out logged clicks` });
        if (!offlineByLoop.has(loop.name)) offlineByLoop.set(loop.name, []);
        offlineByLoop.get(loop.name)!.push(offline);
        if (offline !== null && (loop.name === 'naive' || loop.name === 'guarded' || loop.name === 'popularity')) {
          // Not awaited here: the posts complete while the simulation goes on, and are checked at the end.
          posts.push(
            fetch(`${server.url}/v1/projects/${encodeURIComponent(project)}/model-versions/${versionLabel(d + 1)}/offline-metrics`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${projects[li]!.key}` },
              body: JSON.stringify({ metric: `hit_rate_at_${k}`, value: offline, higher_is_better: true }),
            }).then(async (res) => {
              if (res.status !== 201) throw new Error(`posting the offline metric of ${project} failed: ${res.status} ${await res.text()}`);
            }).catch((err: Error) => {
              postError ??= err;
            }),
          );
        }
        progress(`day ${d + 1}/${o.days}: ${loop.name}`);
        // Let the clients and the server work between loops (the simulation itself never waits for them).
        await new Promise((r) => setImmediate(r));
      }
      const oracleJ = jaccard.get('oracle');
      for (const loop of loops)
        metrics.push({
          name: 'homogenization',
          value: oracleJ === null || oracleJ === undefined || jaccard.get(loop.name) === null ? null : jaccard.get(loop.name)! - oracleJ,
          group: { loop: loop.name, day },
          n: pairCount,
          unit: 'Jaccard index minus the oracle\'s',
        });
      // No flush here: the clients send in the background while the next day is simulated; close() below waits for all.
      world.advanceDay();
    }
    await Promise.all(posts);
    if (postError) throw postError;
    const closed = await Promise.all(clients.map((c) => c.close({ timeoutMs: 60_000 })));
    clients.length = 0;
    closed.forEach((s, i) => {
      const lost = s.rejected + s.dropped.overflow + s.dropped.invalid + s.dropped.retries + s.dropped.closed;
      if (lost) throw new Error(`the ingest server did not store ${lost} events of ${projects[i]!.project}: ${s.rejections.slice(0, 3).map((r) => `${r.path}: ${r.reason}`).join('; ') || s.lastError}`);
    });

    // Metrics in a stable order: by metric, loop, day.
    const order = (m: Metric) => [SIM_METRICS.indexOf(m.name as (typeof SIM_METRICS)[number]), LOOP_NAMES.indexOf(m.group!.loop as LoopName), m.group!.day!] as const;
    metrics.sort((a, b) => {
      const x = order(a), y = order(b);
      return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
    });

    const verdicts: Verdict[] = [];
    const health: SimulationOutput['loopHealth'] = {};
    let opeResult: Result | null = null;
    if (o.analyses !== false) {
      for (const p of projects) {
        const r = await loopHealth(server.store, { project: p.project, source: 'simulation' });
        health[p.loop] = r;
        for (const v of r.verdicts) verdicts.push({ ...v, group: { loop: p.loop, ...(v.group ?? {}) } });
        progress(`loop-health: ${p.loop}`);
      }
      opeResult = await ope(server.store, {
        project: prefix + 'guarded', explorationOnly: true, estimators: ['ipw', 'snipw'], bootstrap: 0, rewardModel: 'none', seed: o.seed,
        targets: [{ kind: 'uniform' }],
      });
      progress('ope: guarded');
    }
    void byName;
    const result: Result = {
      analysis: 'simulation',
      inputs: {
        days: o.days, seed: o.seed, base_date: BASE_DATE, store: o.dbPath ?? '(temporary)', projects: projects.map((p) => p.project),
        world: worldParams, model: modelParams, guard,
      },
      metrics,
      verdicts,
    };
    return { result, projects, loopHealth: health, ope: opeResult, sent };
  } finally {
    await Promise.all(clients.map((c) => c.close({ timeoutMs: 1000 }).catch(() => undefined)));
    await server.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
