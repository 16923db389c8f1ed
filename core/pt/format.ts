/**
 * The contract between the format-agnostic walker (core/pt/walker.ts and friends) and a
 * page-table format module (core/pt/formats/<name>.ts). All vendor bit knowledge lives behind
 * this interface, like the kernel's generic_pt fmt/<name>.h helpers (pt_load_entry_raw,
 * pt_install_leaf_entry, pt_install_table, pt_entry_num_contig_lg2, pt_entry_oa,
 * pt_attr_from_entry, pt_entry_is_write_dirty, pt_entry_make_write_clean).
 *
 * Entries are handled as two 32-bit words: `lo` = bits 31:0 and `hi` = bits 63:32, read from a
 * table page `t` (Uint32Array(1024)) at t[2i], t[2i+1]. All three formats use a 4 KiB granule
 * with 512-entry tables, so item sizes are shared: level L items span 2^(12 + 9L) bytes.
 */
import { HW_ACCESS, type HwAccess, type PtFormatName, type PtWalkStep } from './types';

/** pt_entry_type values. */
export const ENTRY_EMPTY = 0;
export const ENTRY_TABLE = 1;
export const ENTRY_OA = 2;
export type EntryType = typeof ENTRY_EMPTY | typeof ENTRY_TABLE | typeof ENTRY_OA;

/**
 * Leaf attributes as the walker passes them between formats' encoders and decoders (the
 * simulator's pt_write_attrs). Bit values are internal, not architected.
 */
export const PT_ATTR = {
  READ: 1,
  WRITE: 2,
  /** Hardware dirty state (AMD D, VT-d D, Arm DBM=1 & AP[2]=0). */
  DIRTY: 4,
  /** Hardware accessed state (AMD A, VT-d A, Arm AF). */
  ACCESSED: 8,
  /** Arm dirty-bit modifier (DBM): the leaf is writable-clean/dirty rather than plain writable. */
  DBM: 16,
  /**
   * VT-d second-stage SNP (bit 11): the access snoops whatever the device requested. Set on
   * new leaves of a domain that enforces cache coherency (PT_FEAT_VTDSS_FORCE_COHERENCE).
   */
  SNOOP: 32,
} as const;

/** log2 of the bytes one item at `level` spans (4 KiB granule, 512 items per table). */
export function itemLg2(level: number): number {
  return 12 + 9 * level;
}

/** 2^32, for splitting numbers into 32-bit words. */
export const TWO32 = 4294967296;

/** Bits 51:12 of an entry as a byte address: lo bits 31:12 plus hi bits 19:0. */
export function oa52(lo: number, hi: number): number {
  return (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
}

/** Raw entry as 16 hex digits (no 0x). */
export function rawHex(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** Hex string of a byte address, with 0x. */
export function hex(v: number): string {
  return '0x' + v.toString(16);
}

/**
 * Data-driven dirty encoding, so the hot read-and-clear loop needs no per-entry calls:
 * an item is dirty iff (lo & loMask) === loVal && (hi & hiMask) === hiVal; cleaning is
 * lo = (lo & cleanLoAnd) | cleanLoOr.
 */
export interface DirtyEncoding {
  loMask: number;
  loVal: number;
  hiMask: number;
  hiVal: number;
  cleanLoAnd: number;
  cleanLoOr: number;
}

/** Kernel PT_FEAT_* switches that cut_mapping depends on (drivers/iommu/generic_pt; docs/threads.md). */
export interface PtFeatures {
  /** PT_FEAT_OA_TABLE_XCHG: a present single leaf may be swapped for an equivalent table. */
  oaTableXchg: boolean;
  /** PT_FEAT_OA_SIZE_CHANGE: a present leaf may change size (contiguous splits). */
  oaSizeChange: boolean;
}

/** A page-table format module. */
export interface PtFormat {
  readonly name: PtFormatName;
  /** Supported number of levels and the default. */
  readonly minLevels: number;
  readonly maxLevels: number;
  readonly defaultLevels: number;
  /** VA width for a table of `levels` levels, bits (may exceed 53; the walker caps at 2^53). */
  vaLg2(levels: number): number;
  /** Output address width, bits. */
  readonly oaLg2: number;
  /** An item is EMPTY iff (lo & presentLo) === 0. */
  readonly presentLo: number;
  /**
   * Address bits 51:32 (or 47:32) of table pointers and OAs sit in `hi & oaHiMask`; bits 31:12
   * in `lo & 0xfffff000`. Lets the walker decode table pointers without calls.
   */
  readonly oaHiMask: number;
  /**
   * The type of a present item depends only on the level and on `(lo >>> typeShift) & typeMask`
   * (AMD NextLevel, VT-d PS, Arm descriptor bit 1): the walker tabulates entryType() over
   * that field once per level and decodes types with a table lookup on hot paths.
   */
  readonly typeShift: number;
  readonly typeMask: number;
  /**
   * A present leaf MAY span several items only if (lo & loMask) === loVal and
   * (hi & hiMask) === hiVal (AMD NextLevel 7, Arm contiguous bit); null when never.
   */
  readonly group: { loMask: number; loVal: number; hiMask: number; hiVal: number } | null;
  /** Null when the format cannot record dirty state. */
  readonly dirty: DirtyEncoding | null;
  /** Has a per-leaf dirty modifier (Arm DBM). */
  readonly dirtyModifier: boolean;
  /** Leaf sizes are built from several items via a contiguous hint / replicated PTEs. */
  readonly contiguous: boolean;
  readonly replicated: boolean;
  readonly defaultFeatures: PtFeatures;
  /** pt_possible_sizes: leaf sizes (lg2 bytes) allowed at `level` below `topLevel`. */
  possibleSizes(level: number, topLevel: number): number[];
  /** pt_load_entry_raw: type of a present or empty item. */
  entryType(lo: number, hi: number, level: number): EntryType;
  /** pt_table_pa: physical address of the lower table of a TABLE item. */
  tablePhys(lo: number, hi: number): number;
  /** pt_entry_oa: OA of the start of the whole leaf (contiguous/replicated included). */
  leafOa(lo: number, hi: number, level: number): number;
  /** pt_entry_num_contig_lg2: log2 of the number of items of this leaf (0 = single item). */
  contigLg2(lo: number, hi: number, level: number): number;
  /** pt_install_table: write a TABLE item pointing at `phys`. */
  writeTable(t: Uint32Array, i: number, level: number, phys: number): void;
  /**
   * pt_install_leaf_entry: write every item of a leaf of 2^sizeLg2 bytes at OA `oa` starting
   * at item i (i aligned to the item count), with PT_ATTR `attrs`.
   */
  writeLeaf(t: Uint32Array, i: number, level: number, oa: number, sizeLg2: number, attrs: number): void;
  /** pt_attr_from_entry plus A/D/DBM state of one item, as PT_ATTR bits. */
  leafAttrs(lo: number, hi: number): number;
  /**
   * The architected hardware A/D update on the item t[2i..2i+1] the walk hit (one item: AMD
   * replicas and Arm contiguous items are updated individually, as hardware does).
   */
  hwAccess(t: Uint32Array, i: number, write: boolean, setA: boolean, setD: boolean): HwAccess;
  /** Fields named as the manual names them, for the inspector. */
  describe(lo: number, hi: number, level: number): { kind: PtWalkStep['kind']; fields: PtWalkStep['fields'] };
}

/**
 * Atomically OR `bits` into the low word of item i (whose current low word is `lo`), as
 * hardware A/D updates do: HW_ACCESS.OK when they were already set, else UPDATED.
 * `|` yields a signed int32, so the comparison is done unsigned (an OA with bit 31 set
 * would otherwise always look like an update).
 */
export function hwSetLoBits(t: Uint32Array, i: number, lo: number, bits: number): HwAccess {
  const nlo = (lo | bits) >>> 0;
  if (nlo === lo) return HW_ACCESS.OK;
  t[2 * i] = nlo;
  return HW_ACCESS.UPDATED;
}
