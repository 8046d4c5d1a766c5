import { describe, expect, it } from 'vitest';
import { choleskyInPlace, choleskySolveInPlace, spdInverse } from '../../../src/analyses/ope/internal/linalg.js';

describe('small SPD linear algebra', () => {
  it('solves and inverts a 3 x 3 system', () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
    const inv = spdInverse(a, 3)!;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * inv[k * 3 + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    const l = Float64Array.from(a);
    expect(choleskyInPlace(l, 3)).toBe(true);
    const b = Float64Array.from([1, 2, 3]);
    choleskySolveInPlace(l, 3, b);
    for (let i = 0; i < 3; i++) {
      expect(a[i * 3]! * b[0]! + a[i * 3 + 1]! * b[1]! + a[i * 3 + 2]! * b[2]!).toBeCloseTo(i + 1, 12);
    }
    expect(spdInverse(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
  });
});
