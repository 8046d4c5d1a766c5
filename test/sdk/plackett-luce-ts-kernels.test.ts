/**
 * Every Plackett-Luce test again with the TypeScript twins of the WebAssembly kernels (LOOPGUARD_WASM=off), which
 * run where WebAssembly with SIMD does not. Vitest gives each test file its own modules: the variable is read here
 * once, when the kernels are first asked for, and then left as it was for other files.
 */
import { expect, it } from 'vitest';

const before = process.env.LOOPGUARD_WASM;
process.env.LOOPGUARD_WASM = 'off';
const { kernelsModule } = await import('../../src/sdk/policies/wasm/index.js');
const { LightTail } = await import('../../src/sdk/policies/plackett-luce-tail.js');
const off = kernelsModule();
if (before === undefined) delete process.env.LOOPGUARD_WASM;
else process.env.LOOPGUARD_WASM = before;
await import('./plackett-luce.test.js');

it('runs on the TypeScript kernels', () => {
  expect(off).toBeNull();
  expect(new LightTail().usesWasm).toBe(false);
});
