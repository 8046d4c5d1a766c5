import { normalCdf, normalQuantile, studentTQuantile, studentTCdf } from '../../src/stats/normal.js';
for (const x of [-40,-20,-10,-5,-2.5,-2,-1.96,-1,0,0.5,1.96,2,5,8]) console.log('cdf', x, normalCdf(x));
for (const p of [1e-300,1e-100,1e-10,0.001,0.025,0.5,0.975,0.999, 1-1e-12]) console.log('inv', p, normalQuantile(p));
for (const [p,df] of [[0.975,10],[0.975,1],[0.975,2],[0.995,5],[0.975,1000],[0.6,3],[0.025,10],[0.975,9],[1e-12,3],[0.975,1e6],[0.975,0.5],[0.9999,2],[1e-300,1],[1e-20,4],[0.5000001,3]]) console.log('tinv',p,df, studentTQuantile(p,df));
import { it } from 'vitest';
it('scratch', () => { console.log(studentTCdf(-3, 4), studentTCdf(3,4), studentTCdf(0.1, 7)); });
