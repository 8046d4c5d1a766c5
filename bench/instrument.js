/**
 * Timing wrappers put around the project's objects from the outside (src/ stays untouched): every SQL statement a
 * DuckDB connection runs, the appender calls, and the JS -> DuckDB vector conversion of data chunks.
 */

/** Wraps conn.run / conn.runAndReadAll / conn.createAppender so each call's time is added to `stats` under a label. */
export function instrument(conn, stats, labelOf = (sql) => sql.replace(/\s+/g, ' ').trim().slice(0, 70)) {
  const add = (label, ms) => {
    const s = stats.get(label) ?? { calls: 0, ms: 0 };
    s.calls++;
    s.ms += ms;
    stats.set(label, s);
  };
  // runAndReadAll calls this.run inside: count only the outermost call.
  let depth = 0;
  for (const m of ['run', 'runAndReadAll']) {
    const orig = conn[m].bind(conn);
    conn[m] = async (sql, params) => {
      if (depth > 0) return orig(sql, params);
      depth++;
      const t = performance.now();
      try {
        return await orig(sql, params);
      } finally {
        depth--;
        add(`sql: ${labelOf(sql)}`, performance.now() - t);
      }
    };
  }
  const origAppender = conn.createAppender.bind(conn);
  conn.createAppender = async (table) => {
    const t = performance.now();
    const a = await origAppender(table);
    add('appender: create', performance.now() - t);
    for (const m of ['appendDataChunk', 'flushSync', 'closeSync']) {
      const o = a[m].bind(a);
      a[m] = (...args) => {
        const t1 = performance.now();
        try {
          return o(...args);
        } finally {
          add(`appender: ${m}`, performance.now() - t1);
        }
      };
    }
    return a;
  };
  return add;
}

/** Times DuckDBDataChunk.create / setColumns (JS values -> DuckDB vectors), which appendRows calls per 2,048 rows. */
export async function instrumentChunks(add) {
  const { DuckDBDataChunk } = await import('@duckdb/node-api');
  const origCreate = DuckDBDataChunk.create;
  DuckDBDataChunk.create = function (...args) {
    const t = performance.now();
    try {
      return origCreate.apply(this, args);
    } finally {
      add('chunk: DuckDBDataChunk.create', performance.now() - t);
    }
  };
  const origSet = DuckDBDataChunk.prototype.setColumns;
  DuckDBDataChunk.prototype.setColumns = function (...args) {
    const t = performance.now();
    try {
      return origSet.apply(this, args);
    } finally {
      add('chunk: setColumns (JS values -> vectors)', performance.now() - t);
    }
  };
}
