import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';

describe('queryColumns', () => {
  it('returns numbers as Float64Array (booleans as 0/1, NULL as NaN) and text as strings, also for no rows', async () => {
    const s = await DuckDbStore.open(':memory:');
    try {
      const c = await s.queryColumns("SELECT i::DOUBLE AS a, i::BIGINT AS b, 'x' || i AS t, i % 2 = 0 AS even, CASE WHEN i = 1 THEN NULL ELSE i END AS n FROM range(3) r(i)");
      expect(c.a).toEqual(new Float64Array([0, 1, 2]));
      expect(c.b).toEqual(new Float64Array([0, 1, 2]));
      expect(c.t).toEqual(['x0', 'x1', 'x2']);
      expect(c.even).toEqual(new Float64Array([1, 0, 1]));
      expect(Number.isNaN((c.n as Float64Array)[1])).toBe(true);
      const empty = await s.queryColumns("SELECT 1::DOUBLE AS a, 'x' AS t WHERE false");
      expect(empty).toEqual({ a: new Float64Array(0), t: [] });
    } finally {
      await s.close();
    }
  });
});
