/**
 * The Loopguard client: a batching logger for decisions, outcomes, predictions and labels that sends them to
 * POST /v1/events.
 *
 * - log() returns at once. It completes the event (event_id from crypto.randomUUID() and ts = now when absent),
 *   optionally validates it (the server's own validator, so a bad propensity fails at the call site), serializes it,
 *   appends it to the spool when there is one, and queues it. Nothing on the request path waits for the network.
 * - Memory is bounded: at most maxBuffer events wait to be sent. When full, 'drop-oldest' (default) discards the
 *   oldest waiting event to make room and 'reject' refuses the new one; both are counted in stats().dropped.
 * - Batches of up to batchSize events (and maxBatchBytes) go out when full and every flushIntervalMs, with up to
 *   maxInFlight requests at a time.
 * - Retries: on 429, 5xx, timeouts and network errors the same batch (same bytes, so the same event_id and ts) is sent
 *   again after an exponential backoff with full jitter, delay ~ U(0, min(maxDelayMs, initialDelayMs 2^attempt))
 *   (Brooker 2015, "Exponential backoff and jitter", AWS Architecture Blog), and never sooner than the server's
 *   Retry-After. The server deduplicates on event_id, so a retry of a batch that was in fact stored is harmless.
 *   401/403 (bad key) are retried at the longest delay and reported through onError: events are kept, not dropped.
 *   A 413 splits the batch in two. Events the server rejects (a 200 or 422 listing them) are final: counted in
 *   stats().rejected with the server's reasons (stats().rejections keeps the last 100).
 * - flush() resolves once everything accepted so far is acknowledged (or dropped); close() stops accepting, flushes
 *   for up to timeoutMs, then stops. With a spool, whatever is still unacknowledged then stays on disk and is sent by
 *   the next client opened on the same spool directory; without one it is counted as dropped.
 *
 * The client imports neither the server nor DuckDB: only node built-ins, fetch and the event validator.
 */
import crypto from 'node:crypto';
import type { DecisionEvent, LabelEvent, OutcomeEvent, PredictionEvent } from '../events/schemas.js';
import { validateEvent } from '../events/validate.js';
import { createRng, type Rng } from '../stats/rng.js';
import { Spool, type FsyncPolicy, type Segment } from './spool.js';

export type ValidateMode = 'off' | 'throw' | 'warn' | 'drop';
export type OverflowPolicy = 'drop-oldest' | 'reject';

/**
 * The events endpoint of a server's base URL, which must be http(s) (a URL without a scheme was retried forever) and
 * may carry a path prefix (a reverse proxy's), but not the API's own /v1 or /v1/events (its 404s dropped every event
 * as rejected).
 */
export function eventsUrl(base: string): string {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new RangeError(`LoopguardClient: url must be the server's base URL such as http://127.0.0.1:7070 (got '${base}')`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError(`LoopguardClient: url must start with http:// or https:// (got '${base}')`);
  const prefix = u.pathname.replace(/\/+$/, '');
  if (/\/v1(\/events)?$/.test(prefix) || u.search || u.hash)
    throw new RangeError(`LoopguardClient: url must be the server's base URL, such as ${u.origin} (got '${base}'); the client adds /v1/events`);
  return `${u.origin}${prefix}/v1/events`;
}

export interface ClientOptions {
  /** Base URL of the Loopguard server, e.g. http://127.0.0.1:7070. */
  url: string;
  /** A project API key (loopguard keys create --project NAME). */
  apiKey: string;
  /** Events per request. Default 500. */
  batchSize?: number;
  /** Bytes per request body. Default 4 MiB (the server accepts 16 MiB). */
  maxBatchBytes?: number;
  /** Longest an event waits before a partial batch is sent. Default 500 ms. */
  flushIntervalMs?: number;
  /** Events waiting to be sent (not counting those in flight). Default 100,000. */
  maxBuffer?: number;
  overflow?: OverflowPolicy;
  /** Concurrent requests. Default 4. */
  maxInFlight?: number;
  /** Per request. Default 30 s. */
  requestTimeoutMs?: number;
  retry?: {
    /** Default 100 ms. */
    initialDelayMs?: number;
    /** Default 30 s. */
    maxDelayMs?: number;
    /** Retries of a batch before it is dropped. Default Infinity (keep trying). */
    maxRetries?: number;
  };
  /**
   * Client-side validation with the server's validator: 'throw' (log() throws a LoopguardValidationError), 'warn'
   * (onWarning, then sent anyway: the server will reject it), 'drop' (counted in dropped.invalid), 'off'.
   * Default 'throw' unless NODE_ENV is 'production', where it is 'off'.
   */
  validate?: ValidateMode;
  /** Spool directory (or options) for crash safety; see spool.ts. */
  spool?: string | { dir: string; fsync?: FsyncPolicy; fsyncIntervalMs?: number; segmentBytes?: number };
  /** Asynchronous failures (network, HTTP status, spool). Default: console.warn, at most once per 30 s per kind. */
  onError?: (err: LoopguardClientError) => void;
  /** Validation warnings in 'warn' mode. Default console.warn. */
  onWarning?: (message: string) => void;
  /** For tests: the fetch to use and the jitter's random source. */
  fetch?: typeof fetch;
  rng?: Rng;
}

/** log() refused an event that the server would reject; `errors` has each field (JSON pointer) and reason. */
export class LoopguardValidationError extends Error {
  constructor(
    readonly eventId: string,
    readonly errors: Array<{ path: string; reason: string }>,
    readonly eventType: string = 'event',
  ) {
    super(`loopguard: invalid ${eventType} ${eventId}: ${errors.map((e) => `${e.path}: ${e.reason}`).join('; ')}`);
    this.name = 'LoopguardValidationError';
  }
}

export class LoopguardClientError extends Error {
  constructor(
    readonly kind: 'network' | 'http' | 'auth' | 'spool' | 'replay',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LoopguardClientError';
  }
}

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
type Stamp = { ts?: string | Date };
export type DecisionInput = Optional<Omit<DecisionEvent, 'ts'>, 'type' | 'event_id'> & Stamp;
export type OutcomeInput = Optional<Omit<OutcomeEvent, 'ts'>, 'type' | 'event_id'> & Stamp;
export type PredictionInput = Optional<Omit<PredictionEvent, 'ts'>, 'type' | 'event_id'> & Stamp;
export type LabelInput = Optional<Omit<LabelEvent, 'ts'>, 'type' | 'event_id'> & Stamp;
export type EventInput =
  | (DecisionInput & { type: 'decision' })
  | (OutcomeInput & { type: 'outcome' })
  | (PredictionInput & { type: 'prediction' })
  | (LabelInput & { type: 'label' });

export interface ClientStats {
  /** log() calls that were accepted (queued, and spooled when there is a spool). */
  accepted: number;
  /** Events in acknowledged requests (stored + duplicates + rejected). */
  sent: number;
  stored: number;
  duplicates: number;
  rejected: number;
  dropped: { overflow: number; invalid: number; retries: number; closed: number };
  /** Requests sent again after a failure. */
  retries: number;
  requests: number;
  failures: { network: number; status: number };
  /** Waiting + in flight. */
  pending: number;
  inFlight: number;
  /** Events read back from a spool left by an earlier process. */
  replayed: number;
  rejections: Array<{ event_id: string; path: string; reason: string }>;
  lastError: string | null;
}

interface Item {
  id: string;
  line: string;
  seg: Segment | null;
}

/** A double-ended queue of items: array with a moving head, compacted when half of it is consumed. */
class Queue {
  private a: Item[] = [];
  private head = 0;
  get length(): number {
    return this.a.length - this.head;
  }
  push(x: Item): void {
    this.a.push(x);
  }
  shift(): Item | undefined {
    if (this.head >= this.a.length) return undefined;
    const x = this.a[this.head++];
    if (this.head > 1024 && this.head * 2 > this.a.length) {
      this.a = this.a.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  drain(): Item[] {
    const out = this.a.slice(this.head);
    this.a = [];
    this.head = 0;
    return out;
  }
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

function parseRetryAfter(v: string | null): number {
  if (!v) return 0;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : 0;
}

export class LoopguardClient {
  private readonly url: string;
  private readonly o: {
    batchSize: number;
    maxBatchBytes: number;
    flushIntervalMs: number;
    maxBuffer: number;
    overflow: OverflowPolicy;
    maxInFlight: number;
    requestTimeoutMs: number;
    initialDelayMs: number;
    maxDelayMs: number;
    maxRetries: number;
    validate: ValidateMode;
  };
  private readonly queue = new Queue();
  private readonly spool: Spool | null;
  private readonly fetchFn: typeof fetch;
  private readonly rng: Rng;
  private readonly timer: NodeJS.Timeout;
  private readonly stopper = new AbortController();
  private readonly waiters = new Set<() => void>();
  private readonly lastWarned = new Map<string, number>();
  private inFlight = 0;
  private inFlightEvents = 0;
  private pumpScheduled = false;
  private forced = false;
  private loading = false;
  private closing = false;
  private stopped = false;
  private readonly s: ClientStats = {
    accepted: 0, sent: 0, stored: 0, duplicates: 0, rejected: 0,
    dropped: { overflow: 0, invalid: 0, retries: 0, closed: 0 },
    retries: 0, requests: 0, failures: { network: 0, status: 0 }, pending: 0, inFlight: 0, replayed: 0,
    rejections: [], lastError: null,
  };

  constructor(private readonly options: ClientOptions) {
    if (!options.url || !options.apiKey) throw new RangeError('LoopguardClient: url and apiKey are required');
    this.url = eventsUrl(options.url);
    const positive = (name: string, v: number | undefined, d: number) => {
      const x = v ?? d;
      if (!(x > 0)) throw new RangeError(`LoopguardClient: ${name} must be > 0 (got ${x})`);
      return x;
    };
    this.o = {
      batchSize: positive('batchSize', options.batchSize, 500),
      maxBatchBytes: positive('maxBatchBytes', options.maxBatchBytes, 4 * 1024 * 1024),
      flushIntervalMs: positive('flushIntervalMs', options.flushIntervalMs, 500),
      maxBuffer: positive('maxBuffer', options.maxBuffer, 100_000),
      overflow: options.overflow ?? 'drop-oldest',
      maxInFlight: positive('maxInFlight', options.maxInFlight, 4),
      requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 30_000),
      initialDelayMs: positive('retry.initialDelayMs', options.retry?.initialDelayMs, 100),
      maxDelayMs: positive('retry.maxDelayMs', options.retry?.maxDelayMs, 30_000),
      maxRetries: options.retry?.maxRetries ?? Infinity,
      validate: options.validate ?? (process.env.NODE_ENV === 'production' ? 'off' : 'throw'),
    };
    if (!['drop-oldest', 'reject'].includes(this.o.overflow)) throw new RangeError(`LoopguardClient: overflow must be drop-oldest or reject`);
    if (!['off', 'throw', 'warn', 'drop'].includes(this.o.validate)) throw new RangeError(`LoopguardClient: validate must be off, throw, warn or drop`);
    this.fetchFn = options.fetch ?? fetch;
    this.rng = options.rng ?? createRng(crypto.randomBytes(4).readUInt32LE(0));
    this.spool = options.spool ? new Spool(typeof options.spool === 'string' ? { dir: options.spool } : options.spool) : null;
    this.timer = setInterval(() => this.pump(true), this.o.flushIntervalMs);
    this.timer.unref();
    if (this.spool?.replay.length) this.schedulePump();
  }

  // ---- logging -------------------------------------------------------------------------------------------------

  logDecision(event: DecisionInput): string | null {
    return this.log({ ...event, type: 'decision' } as EventInput);
  }
  logOutcome(event: OutcomeInput): string | null {
    return this.log({ ...event, type: 'outcome' } as EventInput);
  }
  logPrediction(event: PredictionInput): string | null {
    return this.log({ ...event, type: 'prediction' } as EventInput);
  }
  logLabel(event: LabelInput): string | null {
    return this.log({ ...event, type: 'label' } as EventInput);
  }

  /**
   * Accepts one event; returns its event_id, or null when it was not accepted (buffer full with overflow 'reject',
   * invalid with validate 'drop', or the client is closing). Throws LoopguardValidationError with validate 'throw'.
   */
  log(event: EventInput): string | null {
    if (this.closing) {
      this.s.dropped.closed++;
      return null;
    }
    const e: Record<string, unknown> = { ...event };
    if (e.event_id === undefined) e.event_id = crypto.randomUUID();
    if (e.ts === undefined) e.ts = new Date().toISOString();
    else if (e.ts instanceof Date) e.ts = e.ts.toISOString();
    const id = String(e.event_id);
    if (this.o.validate !== 'off') {
      const r = validateEvent(e);
      if (!r.ok) {
        const type = typeof e.type === 'string' ? e.type : 'event';
        if (this.o.validate === 'throw') throw new LoopguardValidationError(id, r.errors, type);
        if (this.o.validate === 'drop') {
          this.s.dropped.invalid++;
          return null;
        }
        (this.options.onWarning ?? ((m: string) => console.warn(m)))(new LoopguardValidationError(id, r.errors, type).message);
      }
    }
    if (this.queue.length >= this.o.maxBuffer) {
      if (this.o.overflow === 'reject') {
        this.s.dropped.overflow++;
        return null;
      }
      const old = this.queue.shift()!;
      this.s.dropped.overflow++;
      if (old.seg) this.spool!.resolve(old.seg);
    }
    const line = JSON.stringify(e);
    let seg: Segment | null = null;
    if (this.spool) {
      try {
        seg = this.spool.append(line);
      } catch (err) {
        // Still sent from memory, but not crash-safe: say so.
        this.report(new LoopguardClientError('spool', `spool write failed: ${(err as Error).message}`));
      }
    }
    this.queue.push({ id, line, seg });
    this.s.accepted++;
    if (this.queue.length >= this.o.batchSize) this.schedulePump();
    return id;
  }

  // ---- sending -------------------------------------------------------------------------------------------------

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump(false);
    });
  }

  private pump(partial: boolean): void {
    if (this.stopped) return;
    void this.loadReplay();
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) {
      if (!partial && !this.forced && this.queue.length < this.o.batchSize) break;
      const batch: Item[] = [];
      let bytes = 2;
      while (batch.length < this.o.batchSize && this.queue.length > 0) {
        const next = this.queue.shift()!;
        batch.push(next);
        bytes += next.line.length + 1;
        if (bytes >= this.o.maxBatchBytes) break;
      }
      void this.send(batch);
    }
    this.checkIdle();
  }

  /** Reads segments left by an earlier process, one at a time, while there is room in the buffer. */
  private async loadReplay(): Promise<void> {
    const spool = this.spool;
    if (!spool || this.loading || spool.replay.length === 0 || this.queue.length > this.o.maxBuffer / 2) return;
    this.loading = true;
    try {
      while (spool.replay.length && this.queue.length <= this.o.maxBuffer / 2 && !this.stopped) {
        const seg = spool.replay.shift()!;
        const { lines, corrupt } = await spool.readSegment(seg);
        if (corrupt > 0)
          this.report(
            new LoopguardClientError(
              'replay',
              `spool segment ${seg.file}: ${corrupt} line${corrupt === 1 ? ' was' : 's were'} not JSON and could not be resent (the file was altered or damaged on disk); the other lines are resent`,
            ),
          );
        for (const line of lines) {
          let id = '';
          try {
            id = String((JSON.parse(line) as { event_id?: unknown }).event_id ?? '');
          } catch {
            /* readSegment only returns JSON */
          }
          this.queue.push({ id, line, seg });
          this.s.replayed++;
        }
      }
    } catch (err) {
      this.report(new LoopguardClientError('replay', `spool replay failed: ${(err as Error).message}`));
    } finally {
      this.loading = false;
    }
    if (this.queue.length) this.pump(true);
    else this.checkIdle();
  }

  private resolveItems(items: readonly Item[]): void {
    if (!this.spool) return;
    for (const it of items) if (it.seg) this.spool.resolve(it.seg);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const t = setTimeout(done, ms);
      const signal = this.stopper.signal;
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private backoff(attempt: number, retryAfterMs: number): number {
    const cap = Math.min(this.o.maxDelayMs, this.o.initialDelayMs * 2 ** Math.min(attempt, 40));
    return Math.max(retryAfterMs, this.rng.next() * cap);
  }

  private async send(batch: Item[]): Promise<void> {
    this.inFlight++;
    this.inFlightEvents += batch.length;
    try {
      await this.deliver(batch);
    } finally {
      this.inFlight--;
      this.inFlightEvents -= batch.length;
      if (!this.stopped) this.pump(this.forced || this.closing);
      this.checkIdle();
    }
  }

  /** Sends one batch until it is acknowledged, dropped after maxRetries, or the client stops. */
  private async deliver(batch: Item[]): Promise<void> {
    const body = '[' + batch.map((b) => b.line).join(',') + ']';
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return;
      if (attempt > 0) {
        if (attempt > this.o.maxRetries) {
          this.s.dropped.retries += batch.length;
          this.resolveItems(batch);
          return;
        }
        this.s.retries++;
      }
      let res: Response;
      this.s.requests++;
      try {
        res = await this.fetchFn(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}` },
          body,
          signal: AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.o.requestTimeoutMs)]),
        });
      } catch (err) {
        if (this.stopped) return;
        this.s.failures.network++;
        this.report(new LoopguardClientError('network', `sending ${batch.length} events failed: ${(err as Error).message}`));
        await this.sleep(this.backoff(attempt, 0));
        continue;
      }
      const status = res.status;
      if (status === 200 || status === 422) {
        let r: { stored?: number; duplicates?: number; rejected?: number; errors?: Array<{ index: number; path: string; reason: string }> } = {};
        try {
          r = (await res.json()) as typeof r;
        } catch (err) {
          // The events are committed (the status says so) even if the body did not arrive whole.
          this.report(new LoopguardClientError('http', `unreadable answer to an acknowledged batch: ${(err as Error).message}`, status));
        }
        this.s.sent += batch.length;
        this.s.stored += r.stored ?? 0;
        this.s.duplicates += r.duplicates ?? 0;
        this.s.rejected += r.rejected ?? 0;
        for (const e of r.errors ?? []) {
          this.s.rejections.push({ event_id: batch[e.index]?.id ?? '', path: e.path, reason: e.reason });
          if (this.s.rejections.length > 100) this.s.rejections.shift();
        }
        this.resolveItems(batch);
        return;
      }
      const text = await res.text().catch(() => '');
      if (this.stopped) return;
      this.s.failures.status++;
      if (status === 413 && batch.length > 1) {
        const mid = batch.length >> 1;
        await this.deliver(batch.slice(0, mid));
        await this.deliver(batch.slice(mid));
        return;
      }
      if (status === 401 || status === 403) {
        this.report(new LoopguardClientError('auth', `the server refused the API key (${status}); events are kept and retried: ${text.slice(0, 200)}`, status));
        await this.sleep(Math.max(this.backoff(attempt, 0), this.o.maxDelayMs / 2));
        continue;
      }
      if (RETRYABLE.has(status) || status >= 500) {
        this.report(new LoopguardClientError('http', `server answered ${status}; retrying`, status));
        await this.sleep(this.backoff(attempt, parseRetryAfter(res.headers.get('retry-after'))));
        continue;
      }
      // 400, 413 of a single event, 415, ...: the server will never take this batch as it is.
      this.s.sent += batch.length;
      this.s.rejected += batch.length;
      for (const it of batch) {
        this.s.rejections.push({ event_id: it.id, path: '/', reason: `HTTP ${status}: ${text.slice(0, 200)}` });
        if (this.s.rejections.length > 100) this.s.rejections.shift();
      }
      this.report(new LoopguardClientError('http', `server refused a batch with ${status}: ${text.slice(0, 200)}`, status));
      this.resolveItems(batch);
      return;
    }
  }

  private report(err: LoopguardClientError): void {
    this.s.lastError = err.message;
    if (this.options.onError) {
      this.options.onError(err);
      return;
    }
    const now = Date.now();
    if ((this.lastWarned.get(err.kind) ?? 0) + 30_000 > now) return;
    this.lastWarned.set(err.kind, now);
    console.warn(`loopguard client: ${err.message}`);
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.inFlight === 0 && !this.loading && !(this.spool?.replay.length);
  }

  private checkIdle(): void {
    if (!this.idle()) return;
    this.forced = false;
    for (const w of [...this.waiters]) w();
  }

  // ---- control -------------------------------------------------------------------------------------------------

  /**
   * Sends everything accepted so far, without waiting for full batches. Resolves true once all of it is acknowledged
   * or dropped, false if timeoutMs (default: no limit) passes first.
   */
  flush(timeoutMs = Infinity): Promise<boolean> {
    if (this.idle()) return Promise.resolve(true);
    this.forced = true;
    return new Promise((resolve) => {
      let t: NodeJS.Timeout | null = null;
      const done = (ok: boolean) => {
        this.waiters.delete(waiter);
        if (t) clearTimeout(t);
        resolve(ok);
      };
      const waiter = () => done(true);
      this.waiters.add(waiter);
      if (Number.isFinite(timeoutMs)) t = setTimeout(() => done(false), timeoutMs);
      this.pump(true);
    });
  }

  /**
   * Graceful shutdown: stop accepting, flush for up to timeoutMs (default 10 s), then stop retrying. Unacknowledged
   * events stay in the spool (or, without one, are counted in dropped.closed). Resolves with the final stats.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<ClientStats> {
    if (!this.closing) {
      this.closing = true;
      await this.flush(options.timeoutMs ?? 10_000);
      this.stopped = true;
      clearInterval(this.timer);
      this.stopper.abort();
      const left = this.queue.drain();
      if (!this.spool) this.s.dropped.closed += left.length + this.inFlightEvents;
      this.spool?.close();
    }
    return this.stats();
  }

  stats(): ClientStats {
    return {
      ...this.s,
      dropped: { ...this.s.dropped },
      failures: { ...this.s.failures },
      rejections: [...this.s.rejections],
      pending: this.queue.length + this.inFlightEvents,
      inFlight: this.inFlight,
    };
  }
}

export function createClient(options: ClientOptions): LoopguardClient {
  return new LoopguardClient(options);
}
