/**
 * Results the dashboard reads, computed once and kept in memory. An entry is fresh while no write reached the server
 * since it was computed (the write generation is unchanged) and it is younger than `maxAgeMs`. After a write through
 * the server the next request waits for a new computation, except within `burstMs` of the last one (a stream of writes
 * does not make every page load wait); entries past `maxAgeMs` with no write in between (writes made in-process,
 * outside HTTP) are served for `staleMs` more while they refresh in the background. Concurrent requests for one key share one computation,
 * and computations run one at a time per lane, so a burst of page loads cannot take both cores from ingest.
 */
export interface CacheEntry<T> {
  value: T;
  computedAt: number;
  generation: number;
}

export interface CacheOptions {
  /** Age after which an entry is refreshed even without writes (default never). */
  maxAgeMs?: number;
  /** How long past maxAgeMs an entry is still served (while it is refreshed) when nothing was written. */
  staleMs?: number;
  /** Writes within this long after a computation do not make requests wait for a new one. */
  burstMs?: number;
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
  private readonly burstMs: number;
  private readonly maxEntries: number;

  constructor(o: CacheOptions = {}) {
    // Every write reaches the server (it owns the store), so entries need no expiry by default: recomputing a
    // full analysis of millions of exposures on a timer would take the CPU from ingest for nothing.
    this.maxAgeMs = o.maxAgeMs ?? Infinity;
    this.staleMs = o.staleMs ?? 60_000;
    this.burstMs = o.burstMs ?? 1000;
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
      const sameData = hit.generation === this.generation;
      if (sameData && age < this.maxAgeMs) return hit;
      // Old but nothing written through the server, or written a moment after computing (a burst of writes):
      // answer from the entry and refresh it in the background.
      if ((sameData && age < this.maxAgeMs + this.staleMs) || (!sameData && age < this.burstMs)) {
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
