import { it } from 'vitest';
import jstatModule from 'jstat';
import { studentTCdf, studentTPdf } from '../../src/stats/normal.js';
it('scratch', () => {
  console.log(jstatModule.jStat.studentt.inv(1e-300, 1));
  let x = -37; const q = 1e-300, lnQ = Math.log(q);
  for (let i = 0; i < 20; i++) { const f = studentTCdf(x, 1); const pdf = studentTPdf(x, 1); const du = ((Math.log(f) - lnQ) * f) / (pdf * x); console.log(x, f, pdf, du); x *= Math.exp(-Math.max(-50, Math.min(50, du))); }
});
