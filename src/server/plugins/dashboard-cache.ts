/**
 * Results the dashboard reads, computed once and kept in memory. An entry is fresh while no write reached the server
 * since it was computed (the write generation is unchanged; the server owns the store, so every write passes through
 * it) and it is younger than `maxAgeMs` (default: no expiry). After a write, an entry younger than `minRefreshMs` is
 * still served as it is; an older one is recomputed, and for `staleMs` after it fell due it is served meanwhile while
 * the new one is computed in the background (the full analyses: minutes on a large store, so pages show the last
 * result with its time instead of waiting). Concurrent requests for one key share one computation, and computations
 * run one at a time per lane, so a burst of page loads cannot take both cores from ingest.
 */
export interface CacheEntry<T> {
  value: T;
  computedAt: number;
  generation: number;
}

export interface CacheOptions {
  /** Age after which an entry is refreshed even without writes (default never). */
  maxAgeMs?: number;
  /** After a write, an entry younger than this is served as it is (a stream of writes does not recompute constantly). */
  minRefreshMs?: number;
  /** How long an entry due for a refresh is still served while it is recomputed in the background (0: requests wait). */
  staleMs?: number;
  /** Most entries kept (least recently used are dropped). */
  maxEntries?: number;
}

/** Runs tasks one at a time, in order. */
export class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const p = this.tail.then(task, task);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

export class DashboardCache {
  generation = 0;
  private readonly entries = new Map<string, CacheEntry<unknown>>();
  private readonly inflight = new Map<string, Promise<CacheEntry<unknown>>>();
  private readonly maxAgeMs: number;
  private readonly staleMs: number;
  private readonly minRefreshMs: number;
  private readonly maxEntries: number;

  constructor(o: CacheOptions = {}) {
    // Every write reaches the server (it owns the store), so entries need no expiry by default: recomputing a
    // full analysis of millions of exposures on a timer would take the CPU from ingest for nothing.
    this.maxAgeMs = o.maxAgeMs ?? Infinity;
    this.minRefreshMs = o.minRefreshMs ?? 1000;
    this.staleMs = o.staleMs ?? 0;
    this.maxEntries = o.maxEntries ?? 200;
  }

  /** Something was written: every entry becomes stale. */
  bump(): void {
    this.generation++;
  }

  peek<T>(key: string): CacheEntry<T> | undefined {
    return this.entries.get(key) as CacheEntry<T> | undefined;
  }

  async get<T>(key: string, lane: Lane, compute: () => Promise<T>): Promise<CacheEntry<T>> {
    const hit = this.entries.get(key) as CacheEntry<T> | undefined;
    const now = Date.now();
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used last
      const age = now - hit.computedAt;
      const changed = hit.generation !== this.generation;
      if (!changed && age < this.maxAgeMs) return hit;
      // Written to since, but computed less than minRefreshMs ago: good enough, as it is.
      if (changed && age < this.minRefreshMs) return hit;
      // Due for a refresh since `overdue` ms: within staleMs, answer from the entry and refresh in the background.
      const overdue = changed ? age - this.minRefreshMs : age - this.maxAgeMs;
      if (overdue < this.staleMs) {
        void this.refresh(key, lane, compute).catch(() => undefined);
        return hit;
      }
    }
    return this.refresh(key, lane, compute);
  }

  private refresh<T>(key: string, lane: Lane, compute: () => Promise<T>): Promise<CacheEntry<T>> {
    const running = this.inflight.get(key) as Promise<CacheEntry<T>> | undefined;
    if (running) return running;
    const generation = this.generation;
    const p = lane
      .run(compute)
      .then((value) => {
        const entry: CacheEntry<T> = { value, computedAt: Date.now(), generation };
        this.entries.set(key, entry as CacheEntry<unknown>);
        while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
        return entry;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p as Promise<CacheEntry<unknown>>);
    return p;
  }
}
