/**
 * Bit-field helpers for 64-bit architected entries (DTE, context/PASID entries, STE, CD,
 * commands, event records). Configuration structures are not on the DMA hot path, so they
 * use BigInt; the hot path uses core/base/bits.ts (POW2 table, plain numbers).
 */

/** GENMASK_ULL(hi, lo) as a bigint. */
export function genmask(hi: number, lo: number): bigint {
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}

/** FIELD_GET(GENMASK_ULL(hi, lo), v) as a number (fields are at most 53 bits wide). */
export function fget(v: bigint, hi: number, lo: number): number {
  return Number((v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n));
}

/** v with field [hi:lo] replaced by `x` (FIELD_PREP + mask). */
export function fset(v: bigint, hi: number, lo: number, x: number | bigint): bigint {
  const m = genmask(hi, lo);
  return (v & ~m) | ((BigInt(x) << BigInt(lo)) & m);
}

/** Test bit `b` of v. */
export function bit(v: bigint, b: number): boolean {
  return ((v >> BigInt(b)) & 1n) === 1n;
}

/** v with bit `b` set or cleared. */
export function setBit(v: bigint, b: number, on: boolean): bigint {
  const m = 1n << BigInt(b);
  return on ? v | m : v & ~m;
}

/** 64-bit value as 16 hex digits (no 0x), as the page-table inspector shows raw entries. */
export function hex64(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

