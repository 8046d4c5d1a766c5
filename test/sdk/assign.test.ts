/**
 * Assignment: the documented formula re-implemented here from node:crypto, the shares on 200,000 users (4 standard
 * errors), independence of two salts, the same answers from another process, and what changing a share moves.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assign, bucketOf, createAssigner, strategyForGroup } from '../../src/sdk/index.js';
import { ROOT } from '../helpers.js';

const users = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);

describe('assignment', () => {
  it('bucket = first 52 bits of SHA-256(salt NUL user) / 2^52', () => {
    for (const u of ['u-1', 'ünïcødé', '']) {
      const hex = crypto.createHash('sha256').update(`exp-7\u0000${u}`, 'utf8').digest('hex');
      expect(bucketOf(u, 'exp-7')).toBe(parseInt(hex.slice(0, 13), 16) / 2 ** 52);
    }
  });

  it('gives each group its share (200,000 users, 4 standard errors)', () => {
    const opts = { salt: 'holdout-2026', holdout: 0.05, exploration: 0.1 };
    const n = 200_000;
    const counts = { holdout: 0, exploration: 0, treatment: 0 };
    for (const u of users(n)) counts[assign(u, opts).group]++;
    for (const [g, share] of [['holdout', 0.05], ['exploration', 0.1], ['treatment', 0.85]] as const)
      expect(Math.abs(counts[g] / n - share), g).toBeLessThan(4 * Math.sqrt((share * (1 - share)) / n));
  });

  it('two salts are independent: P(holdout under both) = share^2', () => {
    const a = createAssigner({ salt: 'a', holdout: 0.2, exploration: 0 });
    const b = createAssigner({ salt: 'b', holdout: 0.2, exploration: 0 });
    const n = 200_000;
    let both = 0;
    for (const u of users(n)) if (a(u).group === 'holdout' && b(u).group === 'holdout') both++;
    expect(Math.abs(both / n - 0.04)).toBeLessThan(4 * Math.sqrt((0.04 * 0.96) / n));
  });

  it('is the same in another process', () => {
    const list = users(500);
    const here = list.map((u) => assign(u, { salt: 's', holdout: 0.1, exploration: 0.1 }));
    const script = `import { assign } from ${JSON.stringify(path.join(ROOT, 'dist', 'sdk', 'index.js'))};
      const out = ${JSON.stringify(list)}.map((u) => assign(u, { salt: 's', holdout: 0.1, exploration: 0.1 }));
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(here);
  });

  it('growing a share moves users only between that group and treatment', () => {
    const before = createAssigner({ salt: 'x', holdout: 0.05, exploration: 0.05 });
    const moreHoldout = createAssigner({ salt: 'x', holdout: 0.1, exploration: 0.05 });
    const moreExploration = createAssigner({ salt: 'x', holdout: 0.05, exploration: 0.2 });
    let moved = 0;
    for (const u of users(20_000)) {
      const g = before(u).group;
      const h = moreHoldout(u).group, e = moreExploration(u).group;
      if (h !== g) expect([g, h]).toEqual(['treatment', 'holdout']);
      if (e !== g) expect([g, e]).toEqual(['treatment', 'exploration']);
      if (h !== g || e !== g) moved++;
    }
    expect(moved).toBeGreaterThan(1000);
  });

  it('maps groups to strategies and refuses bad shares', () => {
    expect(strategyForGroup('holdout')).toBe('holdout');
    expect(strategyForGroup('treatment', 'cold_start')).toBe('cold_start');
    expect(() => strategyForGroup('bogus' as 'holdout')).toThrow('strategyForGroup: group must be holdout, exploration or treatment (got "bogus")');
    expect(() => assign('u', { salt: 's', holdout: 0.6, exploration: 0.6 })).toThrow(/<= 1/);
    expect(() => assign('u', { salt: '', holdout: 0.1, exploration: 0 })).toThrow(/salt/);
  });
});
