/**
 * Integer helpers on JS numbers (IOVAs, physical addresses and sizes are JS numbers, exact
 * below 2^53; bitwise operators only cover 32 bits). One POW2 table and one log2 pair for the
 * whole engine: alignLg2 (the kernel's __ffs64 / log2 of the alignment) and floorLg2
 * (__fls64 / ilog2). Used by pt_compute_best_pgsize (drivers/iommu/generic_pt/pt_iter.h)
 * and iommu_pgsize (drivers/iommu/iommu.c).
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

/** a | b for non-negative integers below 2^53. */
export function or53(a: number, b: number): number {
  const hi = (Math.floor(a / TWO32) | Math.floor(b / TWO32)) >>> 0;
  const lo = ((a % TWO32) | (b % TWO32)) >>> 0;
  return hi * TWO32 + lo;
}

/** x mod 2^lg2 (x >= 0). */
export function modPow2(x: number, lg2: number): number {
  return x % POW2[lg2]!;
}

/** True when x is a multiple of `align` (a power of two). */
export function isAligned(x: number, align: number): boolean {
  return x % align === 0;
}

/** The page sizes of a pgsize_bitmap as ascending log2 values. */
export function pgsizeLg2List(bitmap: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < 53; k++) if (Math.floor(bitmap / 2 ** k) % 2 === 1) out.push(k);
  return out;
}

/** a & b for non-negative integers below 2^53. */
export function and53(a: number, b: number): number {
  const hi = (Math.floor(a / TWO32) & Math.floor(b / TWO32)) >>> 0;
  const lo = ((a % TWO32) & (b % TWO32)) >>> 0;
  return hi * TWO32 + lo;
}
