/**
 * Integer helpers on JS numbers (exact below 2^53) used by pt_compute_best_pgsize.
 * spec/page-table-objects-pasid.md §0.3, §1.3.
 */
const TWO32 = 4294967296;

/**
 * POW2[k] = 2^k for k in 0..63. Hot paths index this instead of writing `2 ** k`: with a
 * variable exponent V8 emits a Math.pow call, which alone halved iova_to_phys throughput.
 */
export const POW2: Readonly<Float64Array> = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);
export function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** log2 of the largest power of two dividing x (63 for 0). */
export function alignLg2(x: number): number {
  if (x === 0) return 63;
  const lo = x >>> 0;
  if (lo !== 0) return ctz32(lo);
  return 32 + ctz32((x / TWO32) >>> 0);
}

/** floor(log2(len)) for 1 <= len < 2^53. */
export function floorLg2(len: number): number {
  return len >= TWO32 ? 63 - Math.clz32((len / TWO32) >>> 0) : 31 - Math.clz32(len);
}
