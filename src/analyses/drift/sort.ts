/**
 * In-place ascending sort of finite doubles by LSD radix sort on their IEEE-754 bit patterns (16-bit digits, four
 * passes over the high and low 32-bit words), O(n). Doubles order like their bit patterns once negative numbers have
 * every bit flipped and non-negative ones the sign bit set (Herf 2001, "Radix tricks"). A column of a million values
 * sorts several times faster than with TypedArray.prototype.sort. NaN must not be present; -0 sorts before +0.
 */
export function radixSortFloat64(x: Float64Array): void {
  const n = x.length;
  if (n < 2048) {
    x.sort();
    return;
  }
  const words = new Uint32Array(x.buffer, x.byteOffset, n * 2);
  let lo = new Uint32Array(n), hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const l = words[2 * i]!, h = words[2 * i + 1]!;
    if (h & 0x80000000) (lo[i] = ~l >>> 0), (hi[i] = ~h >>> 0);
    else (lo[i] = l), (hi[i] = (h | 0x80000000) >>> 0);
  }
  let lo2 = new Uint32Array(n), hi2 = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const d = (src[i]! >>> shift) & 0xffff;
      const at = count[d]!++;
      lo2[at] = lo[i]!;
      hi2[at] = hi[i]!;
    }
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
  }
  for (let i = 0; i < n; i++) {
    const l = lo[i]!, h = hi[i]!;
    if (h & 0x80000000) (words[2 * i] = l), (words[2 * i + 1] = (h & 0x7fffffff) >>> 0);
    else (words[2 * i] = ~l >>> 0), (words[2 * i + 1] = ~h >>> 0);
  }
}
