/**
 * The client's on-disk spool: every event that log() accepts is appended to it before log() returns, and leaves it
 * only once the server has acknowledged it (or the client has given it up and counted it as dropped). A serving
 * process that crashes loses nothing it had accepted: the next client opened on the same directory sends the spool
 * again. Events keep their event_id and ts, so anything that had reached the store before the crash comes back as a
 * duplicate and is not stored twice.
 *
 * Layout: a directory of append-only segment files seg-<n>.ndjson, one JSON event per line, plus a lock file holding
 * the owner's PID (a second live owner is refused; a dead owner's lock is taken over).
 * - Appends are synchronous write(2) calls of whole lines. Once write returns, the line is in the kernel's page cache
 *   and survives the crash of the process (not of the machine).
 * - fsync policy ('fsync' option): 'interval' (default) syncs the current segment at most every fsyncIntervalMs when
 *   it has new lines, so a power loss or kernel crash loses at most that window; 'always' syncs after every append
 *   (no window, at the cost of a disk flush inside log()); 'never' leaves it to the OS. New segment files are made
 *   durable by syncing the directory too (except with 'never').
 * - Compaction: each segment counts its unresolved lines. A sealed segment (full, or left by an earlier process) is
 *   deleted when that count reaches 0; the current segment is truncated to empty instead. Segments roll over at
 *   segmentBytes.
 * - Replay: segments found at open belong to an earlier process and are read back (readSegment) by the client.
 *   A torn last line (the process died inside write) is skipped: its log() call never returned, so it was never
 *   accepted.
 */
import fs from 'node:fs';
import path from 'node:path';

export type FsyncPolicy = 'interval' | 'always' | 'never';

export interface SpoolOptions {
  dir: string;
  fsync?: FsyncPolicy;
  /** With fsync 'interval': the longest a new line waits for fsync. Default 1000 ms. */
  fsyncIntervalMs?: number;
  /** Segment size at which a new segment starts. Default 4 MiB. */
  segmentBytes?: number;
}

export interface Segment {
  readonly id: number;
  readonly file: string;
  /** Lines not yet resolved (acknowledged, rejected or dropped). */
  unresolved: number;
  /** No more appends: full, or found at open. */
  sealed: boolean;
  /** Found at open and not read back yet. */
  pendingReplay: boolean;
  bytes: number;
  fd: number | null;
}

const SEGMENT_RE = /^seg-(\d{12})\.ndjson$/;
const openDirs = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Spool {
  readonly dir: string;
  readonly fsync: FsyncPolicy;
  private readonly segmentBytes: number;
  private readonly lockFile: string;
  private current: Segment;
  private nextId: number;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Segments left by an earlier process, oldest first, not yet handed to the client. */
  readonly replay: Segment[] = [];
  corruptLines = 0;

  constructor(options: SpoolOptions) {
    this.dir = path.resolve(options.dir);
    this.fsync = options.fsync ?? 'interval';
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    if (!['interval', 'always', 'never'].includes(this.fsync)) throw new RangeError(`spool: fsync must be interval, always or never (got ${this.fsync})`);
    fs.mkdirSync(this.dir, { recursive: true });
    if (openDirs.has(this.dir)) throw new Error(`spool ${this.dir} is already open in this process`);
    this.lockFile = path.join(this.dir, 'lock');
    this.takeLock();
    openDirs.add(this.dir);
    let maxId = 0;
    for (const name of fs.readdirSync(this.dir).sort()) {
      const m = SEGMENT_RE.exec(name);
      if (!m) continue;
      const id = Number(m[1]);
      maxId = Math.max(maxId, id);
      const file = path.join(this.dir, name);
      const bytes = fs.statSync(file).size;
      if (bytes === 0) fs.rmSync(file, { force: true });
      else this.replay.push({ id, file, unresolved: 0, sealed: true, pendingReplay: true, bytes, fd: null });
    }
    this.nextId = maxId + 1;
    this.current = this.newSegment();
    const ms = options.fsyncIntervalMs ?? 1000;
    if (this.fsync === 'interval') {
      this.timer = setInterval(() => this.syncNow(), ms);
      this.timer.unref();
    }
  }

  private takeLock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(this.lockFile, 'wx');
        fs.writeSync(fd, String(process.pid));
        fs.closeSync(fd);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(fs.readFileSync(this.lockFile, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid))
          throw new Error(`spool ${this.dir} is in use by process ${pid}; give each client its own spool directory`);
        fs.rmSync(this.lockFile, { force: true }); // left by a process that is gone
      }
    }
    throw new Error(`spool ${this.dir}: could not take the lock`);
  }

  private newSegment(): Segment {
    const id = this.nextId++;
    const file = path.join(this.dir, `seg-${String(id).padStart(12, '0')}.ndjson`);
    const fd = fs.openSync(file, 'a');
    if (this.fsync !== 'never') this.syncDir();
    return { id, file, unresolved: 0, sealed: false, pendingReplay: false, bytes: 0, fd };
  }

  private syncDir(): void {
    try {
      const d = fs.openSync(this.dir, 'r');
      try {
        fs.fsyncSync(d);
      } finally {
        fs.closeSync(d);
      }
    } catch {
      // some platforms cannot fsync a directory; the file's own fsync still holds its data
    }
  }

  /** Appends one event (a JSON text without newlines) and returns its segment. Throws if the disk refuses it. */
  append(json: string): Segment {
    if (this.closed) throw new Error('spool is closed');
    const seg = this.current;
    const buf = Buffer.from(json + '\n', 'utf8');
    try {
      let off = 0;
      while (off < buf.length) off += fs.writeSync(seg.fd!, buf, off, buf.length - off);
    } catch (err) {
      // A partial line may be on disk: seal this segment so nothing is appended after it.
      this.seal(seg);
      this.current = this.newSegment();
      throw err;
    }
    seg.bytes += buf.length;
    seg.unresolved++;
    if (this.fsync === 'always') fs.fsyncSync(seg.fd!);
    else this.dirty = true;
    if (seg.bytes >= this.segmentBytes) {
      this.seal(seg);
      this.current = this.newSegment();
    }
    return seg;
  }

  private seal(seg: Segment): void {
    if (seg.fd !== null) {
      if (this.fsync !== 'never') {
        try {
          fs.fsyncSync(seg.fd);
        } catch {
          /* best effort */
        }
      }
      fs.closeSync(seg.fd);
      seg.fd = null;
    }
    seg.sealed = true;
    if (seg.unresolved === 0) fs.rmSync(seg.file, { force: true });
  }

  /** One line of `seg` is done with: compacts the segment when it has nothing left. */
  resolve(seg: Segment, count = 1): void {
    seg.unresolved -= count;
    if (seg.unresolved > 0 || this.closed || seg.pendingReplay) return;
    if (seg.sealed) fs.rmSync(seg.file, { force: true });
    else if (seg.bytes > 0) {
      fs.ftruncateSync(seg.fd!, 0);
      seg.bytes = 0;
    }
  }

  /**
   * Reads back a segment left by an earlier process; its lines count as unresolved from now on. `corrupt` counts the
   * lines that are not JSON other than a torn last one (which a crash inside write leaves, and is expected).
   */
  async readSegment(seg: Segment): Promise<{ lines: string[]; corrupt: number }> {
    const text = await fs.promises.readFile(seg.file, 'utf8');
    const lines: string[] = [];
    const parts = text.split('\n');
    let corrupt = 0;
    parts.forEach((line, i) => {
      if (!line) return;
      try {
        JSON.parse(line);
        lines.push(line);
      } catch {
        if (i < parts.length - 1) corrupt++;
        this.corruptLines++;
      }
    });
    seg.pendingReplay = false;
    seg.unresolved += lines.length;
    if (seg.unresolved === 0 && !this.closed) fs.rmSync(seg.file, { force: true });
    return { lines, corrupt };
  }

  syncNow(): void {
    if (!this.dirty || this.current.fd === null) return;
    this.dirty = false;
    try {
      fs.fsyncSync(this.current.fd);
    } catch {
      this.dirty = true;
    }
  }

  /** Syncs and closes; unresolved lines stay on disk for the next open. */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    const seg = this.current;
    if (seg.fd !== null) {
      if (this.fsync !== 'never') fs.fsyncSync(seg.fd);
      fs.closeSync(seg.fd);
      seg.fd = null;
    }
    if (seg.unresolved === 0) fs.rmSync(seg.file, { force: true });
    this.closed = true;
    fs.rmSync(this.lockFile, { force: true });
    openDirs.delete(this.dir);
  }
}
