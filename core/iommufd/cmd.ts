/**
 * Parsed ioctl argument: every struct field as a bigint (the C struct after
 * copy_struct_from_user), plus helpers to read/write user memory arrays. Handlers return
 * 0 or a negative errno and write outputs into the same object (the kernel's ucmd->cmd).
 */
import { ERRNO } from '../base/errno';
import { IOVA_MAX } from './io-pagetable';
import type { Mm } from './mm';

/** Struct fields by name. */
export type Cmd = Record<string, bigint>;

/** Extra results a handler returns besides struct fields (decoded arrays, stats). */
export type Extra = Record<string, unknown>;

/** A field as a JS number; -1 when it exceeds the simulator's 2^53 address limit. */
export function num(b: bigint | undefined): number {
  if (b === undefined) return 0;
  return b > BigInt(IOVA_MAX) ? -1 : Number(b);
}

/** Read `n` little-endian u64 values from user memory (-EFAULT). */
export function readU64s(mm: Mm, va: number, n: number): bigint[] | number {
  if (n === 0) return [];
  const bytes = mm.read(va, n * 8);
  if (typeof bytes === 'number') return -ERRNO.EFAULT;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(dv.getBigUint64(i * 8, true));
  return out;
}

/** Write little-endian u64 values to user memory (0 / -EFAULT). */
export function writeU64s(mm: Mm, va: number, vals: bigint[]): number {
  const bytes = new Uint8Array(vals.length * 8);
  const dv = new DataView(bytes.buffer);
  vals.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  return mm.write(va, bytes);
}

/** An internal IOVA_MAX reported to users as ULONG_MAX. */
export function toUlong(v: number): bigint {
  return v >= IOVA_MAX ? (1n << 64n) - 1n : BigInt(v);
}
