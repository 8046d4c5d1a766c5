/**
 * Decayed user profiles (src/sdk/profiles.ts) kept in the DuckDB store, so they survive restarts and can be queried
 * with SQL next to the events. Same semantics as MemoryProfileStore: the decay, forgetting and change-score code is
 * the SDK's; this module only loads and saves feature states.
 *
 * Tables (migration 3): profile_configs holds each profile's half-lives, checked on every open, since values stored
 * under one half-life mean something else under another; profile_features holds (user_key, feature, short, long,
 * t_ms), user_key = <length of profile>:<profile>/<user_id>, with an ART index on user_key for point reads.
 *
 * Writes go through a connection of their own (serialized here), so they never interleave with the statements of
 * the store's write connection, which group-commits events; DuckDB's MVCC keeps the two transactions apart and they
 * touch different tables, so they cannot conflict.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  applyEvents,
  entriesOf,
  profileAt,
  resolveProfileOptions,
  timeOf,
  type FeatureState,
  type FeatureWeights,
  type Profile,
  type ProfileOptions,
  type ProfileStore,
  type ResolvedProfileOptions,
} from '../../sdk/profiles.js';
import { UserError } from '../store.js';
import { DuckDbStore, Mutex } from './store.js';

/** Length-prefixed, so no profile name or user id can make two keys collide. */
const prefixOf = (profile: string) => `${profile.length}:${profile}/`;
const key = (profile: string, userId: string) => prefixOf(profile) + userId;

export class DuckDbProfileStore implements ProfileStore {
  private readonly lock = new Mutex();
  private closed = false;

  private constructor(
    readonly profile: string,
    readonly options: ResolvedProfileOptions,
    private readonly conn: DuckDBConnection,
    private readonly owned: DuckDbStore | null,
  ) {}

  /**
   * Profiles named `profile` in an open store. The store must stay open while this is used; close() closes only
   * this module's connection.
   */
  static async attach(store: DuckDbStore, options: ProfileOptions & { profile?: string } = {}): Promise<DuckDbProfileStore> {
    return DuckDbProfileStore.init(store, options, null);
  }

  /** Opens (or creates) a store file of its own for profiles; close() closes it. */
  static async open(dbPath: string, options: ProfileOptions & { profile?: string } = {}): Promise<DuckDbProfileStore> {
    const store = await DuckDbStore.open(dbPath);
    try {
      return await DuckDbProfileStore.init(store, options, store);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  private static async init(store: DuckDbStore, options: ProfileOptions & { profile?: string }, owned: DuckDbStore | null): Promise<DuckDbProfileStore> {
    const o = resolveProfileOptions(options);
    const profile = options.profile ?? 'default';
    const conn = await store.connect();
    await conn.run("SET TimeZone = 'UTC'");
    await conn.run('BEGIN TRANSACTION');
    try {
      const rows = (await conn.runAndReadAll('SELECT short_half_life_ms, long_half_life_ms FROM profile_configs WHERE profile = $1', [profile])).getRowObjectsJS();
      if (rows.length === 0)
        await conn.run('INSERT INTO profile_configs VALUES ($1, $2, $3, now()::TIMESTAMP)', [profile, o.shortHalfLifeMs, o.longHalfLifeMs]);
      else if (Number(rows[0]!.short_half_life_ms) !== o.shortHalfLifeMs || Number(rows[0]!.long_half_life_ms) !== o.longHalfLifeMs)
        throw new UserError(
          `Profile ${JSON.stringify(profile)} was created with half-lives ${rows[0]!.short_half_life_ms} ms and ${rows[0]!.long_half_life_ms} ms; ` +
            `opening it with ${o.shortHalfLifeMs} ms and ${o.longHalfLifeMs} ms would misread every stored value. Use those half-lives or another profile name.`,
        );
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      conn.closeSync();
      throw err;
    }
    return new DuckDbProfileStore(profile, o, conn, owned);
  }

  private async load(userKey: string): Promise<Map<string, FeatureState>> {
    const reader = await this.conn.runAndReadAll('SELECT feature, short, long, t_ms FROM profile_features WHERE user_key = $1', [userKey]);
    const map = new Map<string, FeatureState>();
    for (const r of reader.getRows()) map.set(String(r[0]), { short: Number(r[1]), long: Number(r[2]), t: Number(r[3]) });
    return map;
  }

  private check(): void {
    if (this.closed) throw new Error('DuckDbProfileStore: closed');
  }

  async update(userId: string, features: FeatureWeights, at?: number | Date): Promise<void> {
    this.check();
    const t = timeOf(at);
    const events = entriesOf(features);
    if (events.length === 0) return;
    const userKey = key(this.profile, userId);
    await this.lock.run(async () => {
      await this.conn.run('BEGIN TRANSACTION');
      try {
        const map = await this.load(userKey);
        const removed = applyEvents(map, events, t, this.options);
        const touched = new Set(events.map(([f]) => f));
        const rows = [...touched].filter((f) => map.has(f));
        if (rows.length) {
          const values: Array<string | number> = [];
          const tuples = rows.map((f, i) => {
            const st = map.get(f)!;
            values.push(userKey, f, st.short, st.long, st.t);
            const b = i * 5;
            return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
          });
          await this.conn.run(
            `INSERT INTO profile_features VALUES ${tuples.join(', ')}
             ON CONFLICT (user_key, feature) DO UPDATE SET short = excluded.short, long = excluded.long, t_ms = excluded.t_ms`,
            values,
          );
        }
        if (removed.length)
          await this.conn.run(
            `DELETE FROM profile_features WHERE user_key = $1 AND feature IN (${removed.map((_, i) => `$${i + 2}`).join(', ')})`,
            [userKey, ...removed],
          );
        await this.conn.run('COMMIT');
      } catch (err) {
        await this.conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async get(userId: string, at?: number | Date): Promise<Profile | null> {
    this.check();
    const map = await this.lock.run(() => this.load(key(this.profile, userId)));
    if (map.size === 0) return null;
    return profileAt(userId, map, timeOf(at), this.options);
  }

  async delete(userId: string): Promise<void> {
    this.check();
    await this.lock.run(() => this.conn.run('DELETE FROM profile_features WHERE user_key = $1', [key(this.profile, userId)]));
  }

  /** Forgets, in one statement, every feature of this profile whose long-horizon weight at `at` is below forgetBelow. */
  async prune(at?: number | Date): Promise<number> {
    this.check();
    const t = timeOf(at);
    // The test of decay() < forgetBelow, in SQL.
    const r = await this.lock.run(() =>
      this.conn.run(
        `DELETE FROM profile_features WHERE starts_with(user_key, $1) AND long * pow(2, -($2 - t_ms) / $3) < $4`,
        [prefixOf(this.profile), t, this.options.longHalfLifeMs, this.options.forgetBelow],
      ),
    );
    return Number(r.rowsChanged);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lock.run(async () => this.conn.closeSync());
    if (this.owned) await this.owned.close();
  }
}
