import { describe, expect, it } from 'vitest';
import { expShifted } from '../../src/stats/exp.js';
import { createRng } from '../../src/stats/rng.js';

const ULP = 2 ** -52;

/** e^x of one value through the array kernel. */
function exp(x: number): number {
  const out = new Float64Array(1);
  expShifted(Float64Array.of(x), 0, 1, out);
  return out[0]!;
}

describe('expShifted', () => {
  it('reproduces published values of e^x to 2 ulp', () => {
    // Correctly rounded doubles of e^x, from 60-digit decimal arithmetic (Python's decimal.Decimal(x).exp()).
    const cases: Array<[number, number]> = [
      [1, 2.718281828459045],
      [-1, 0.36787944117144233],
      [0.5, 1.6487212707001282],
      [10, 22026.465794806718],
      [-10, 4.5399929762484854e-5],
      [100, 2.6881171418161356e43],
      [-100, 3.720075976020836e-44],
      [700, 1.0142320547350045e304],
      [-700, 9.85967654375977e-305],
    ];
    for (const [x, v] of cases) expect(Math.abs(exp(x) - v) / v).toBeLessThanOrEqual(2 * ULP);
  });

  it('agrees with Math.exp to 5e-16 relative over the whole range, subnormals to 2^-1073', () => {
    const rng = createRng(11);
    let worst = 0;
    for (let i = 0; i < 200_000; i++) {
      // Uniform over [-745, 709], and densely near 0 and near the table's nodes k ln2 / 64.
      const x = i % 3 === 0 ? -745 + 1454 * rng.next() : i % 3 === 1 ? 4 * (rng.next() - 0.5) : (Math.round(1000 * (rng.next() - 0.5)) * Math.LN2) / 64 + 1e-12 * (rng.next() - 0.5);
      const want = Math.exp(x), got = exp(x);
      if (want >= 2 ** -1022) worst = Math.max(worst, Math.abs(got - want) / want);
      else expect(Math.abs(got - want)).toBeLessThanOrEqual(2 * 2 ** -1074);
    }
    expect(worst).toBeLessThan(5e-16);
    expect(worst).toBeGreaterThan(0); // the two implementations do differ in the last bit sometimes
  });

  it('applies the shift and scale, and returns the sum of what it wrote', () => {
    const x = Float64Array.of(3, 5, 7, 9), out = new Float64Array(6);
    const sum = expShifted(x, 7, 0.5, out, 3, 1, 2); // e^{(5-7)/2}, e^0, e^{(9-7)/2} into out[2..5)
    const want = [Math.exp(-1), 1, Math.exp(1)];
    want.forEach((v, i) => expect(Math.abs(out[2 + i]! - v) / v).toBeLessThanOrEqual(2 * ULP));
    expect([out[0], out[1], out[5]]).toEqual([0, 0, 0]);
    expect(Math.abs(sum - (want[0]! + want[1]! + want[2]!))).toBeLessThan(1e-15);
  });

  it('handles the ends and the special values', () => {
    expect(exp(0)).toBe(1);
    expect(exp(-0)).toBe(1);
    expect(exp(-746)).toBe(0);
    expect(exp(-744.5)).toBe(0); // below 2^-1073
    expect(exp(-744)).toBeLessThanOrEqual(2 ** -1073);
    expect(exp(-Infinity)).toBe(0);
    expect(exp(710)).toBe(Infinity);
    expect(exp(Infinity)).toBe(Infinity);
    expect(exp(Number.NaN)).toBeNaN();
    // The largest arguments with a finite result, where 2^m alone would overflow.
    for (const x of [709.78, 709.782712893384]) expect(Math.abs(exp(x) - Math.exp(x)) / Math.exp(x)).toBeLessThan(5e-16);
  });
});
