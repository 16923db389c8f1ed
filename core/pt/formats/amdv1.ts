/**
 * AMD-Vi v1 host page table (AMD IOMMU spec 2.2.3 "I/O Page Tables for Host Translations";
 * kernel drivers/iommu/generic_pt/fmt/amdv1.h, drivers/iommu/amd/amd_iommu_types.h).
 *
 * IOPTE / PDE bits (64-bit):
 *   0      PR   present
 *   5      A    accessed (host access, set by hardware when DTE.HAD enables it)
 *   6      D    dirty (IOMMU_PTE_HD_BIT; leaves only)
 *   11:9   NextLevel: 0 = leaf of the level's default size, 1..6 = PDE pointing at a table of
 *          that level (our level numbering + 1 = AMD "mode"), 7 = leaf of a non-default size
 *   51:12  Address (table or page); for NextLevel 7 the size is encoded in the low address
 *          bits as a run of ones: bits [s-2:12] = 1, bit s-1 = 0 for a 2^s page (Table 14)
 *   60 FC force coherent, 61 IR, 62 IW (ANDed across levels; PDEs always set both)
 *
 * Non-default power-of-two sizes are REPLICATED PTEs: 2^n identical NextLevel-7 entries at the
 * level whose item size is just below the page size. Hardware may set D in only one replica
 * (AMD IOMMU spec 2.2.3.2), so reading dirty ORs all replicas and clearing clears all of them.
 * Leaves are allowed at every level below level 5 (6-level tables), in every power-of-two size
 * from the level's item size up to (but excluding) the next level's, except 512 GiB
 * (amdv1pt_possible_sizes: "512GB Pages are not supported due to a hardware bug").
 */
import { HW_ACCESS, type HwAccess } from '../types';
import {
  ENTRY_EMPTY, ENTRY_OA, ENTRY_TABLE, PT_ATTR, TWO32, hex, hwSetLoBits, itemLg2, oa52,
  type EntryType, type PtFormat,
} from '../format';


// Local copies of imported constants: imported bindings may compile to getters (tsx/vite),
// and hwAccess runs on the DMA hot path.
const HW_PERM_FAULT: HwAccess = HW_ACCESS.PERM_FAULT;

export const AMDV1_PR = 1 << 0;
export const AMDV1_A = 1 << 5;
export const AMDV1_D = 1 << 6;
export const AMDV1_NEXT_LEVEL_SHIFT = 9;
export const AMDV1_NL_DEFAULT = 0;
export const AMDV1_NL_SIZE = 7;
/** Bits 60/61/62 as bits of the high word. */
export const AMDV1_HI_FC = 1 << (60 - 32);
export const AMDV1_HI_IR = 1 << (61 - 32);
export const AMDV1_HI_IW = 1 << (62 - 32);

/** Top level index that can hold leaves is 4 (PT_MAX_TOP_LEVEL 5 cannot). */
const MAX_TOP_LEVEL = 5;

function nextLevel(lo: number): number {
  return (lo >>> AMDV1_NEXT_LEVEL_SHIFT) & 7;
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Length of the run of ones in address bits 51:12 (size encoding of NextLevel 7). */
function onesRun(lo: number, hi: number): number {
  const a = ~(lo >>> 12) & 0xfffff;
  if (a !== 0) return ctz32(a);
  const b = ~hi & 0xfffff;
  return b !== 0 ? 20 + ctz32(b) : 40;
}

/** log2 of the page size of a leaf entry at `level`. */
function leafLg2(lo: number, hi: number, level: number): number {
  return nextLevel(lo) === AMDV1_NL_SIZE ? 13 + onesRun(lo, hi) : itemLg2(level);
}

export const amdv1: PtFormat = {
  name: 'amdv1',
  minLevels: 1,
  maxLevels: 6,
  defaultLevels: 4,
  vaLg2: (levels) => Math.min(64, 12 + 9 * levels),
  oaLg2: 52,
  presentLo: AMDV1_PR,
  oaHiMask: 0xfffff,
  typeShift: AMDV1_NEXT_LEVEL_SHIFT,
  typeMask: 7,
  group: { loMask: 7 << AMDV1_NEXT_LEVEL_SHIFT, loVal: AMDV1_NL_SIZE << AMDV1_NEXT_LEVEL_SHIFT, hiMask: 0, hiVal: 0 },
  dirty: { loMask: AMDV1_D, loVal: AMDV1_D, hiMask: 0, hiVal: 0, cleanLoAnd: ~AMDV1_D, cleanLoOr: 0 },
  dirtyModifier: false,
  contiguous: false,
  replicated: true,
  defaultFeatures: { oaTableXchg: true, oaSizeChange: true },

  possibleSizes(level, topLevel) {
    if (level >= MAX_TOP_LEVEL || level > topLevel) return [];
    const out: number[] = [];
    const isz = itemLg2(level);
    for (let s = isz; s <= Math.min(51, isz + 8); s++) if (s !== 39) out.push(s);
    return out;
  },

  entryType(lo, _hi, level): EntryType {
    if ((lo & AMDV1_PR) === 0) return ENTRY_EMPTY;
    const nl = nextLevel(lo);
    if (level === 0 || nl === AMDV1_NL_DEFAULT || nl === AMDV1_NL_SIZE) return ENTRY_OA;
    return ENTRY_TABLE;
  },

  tablePhys: (lo, hi) => oa52(lo, hi),

  leafOa(lo, hi, level) {
    const oa = oa52(lo, hi);
    if (nextLevel(lo) !== AMDV1_NL_SIZE) return oa;
    const size = 2 ** leafLg2(lo, hi, level);
    return oa - (oa % size);
  },

  contigLg2(lo, hi, level) {
    return nextLevel(lo) === AMDV1_NL_SIZE ? leafLg2(lo, hi, level) - itemLg2(level) : 0;
  },

  writeTable(t, i, level, phys) {
    // IR and IW are ANDed from the table levels: always set them on PDEs (amdv1pt_install_table).
    t[2 * i] = ((phys >>> 0) & 0xfffff000) | (level << AMDV1_NEXT_LEVEL_SHIFT) | AMDV1_PR;
    t[2 * i + 1] = ((phys / TWO32) & 0xfffff) | AMDV1_HI_IR | AMDV1_HI_IW;
  },

  writeLeaf(t, i, level, oa, sizeLg2, attrs) {
    const isz = itemLg2(level);
    let lo = AMDV1_PR;
    let hi = AMDV1_HI_FC;
    if (attrs & PT_ATTR.READ) hi |= AMDV1_HI_IR;
    if (attrs & PT_ATTR.WRITE) hi |= AMDV1_HI_IW;
    if (attrs & PT_ATTR.ACCESSED) lo |= AMDV1_A;
    if (attrs & PT_ATTR.DIRTY) lo |= AMDV1_D;
    let addr = oa;
    if (sizeLg2 !== isz) {
      // Page size encoded as a run of ones in address bits [sizeLg2-2:12].
      addr = oa + (2 ** (sizeLg2 - 1) - TWO32 / 1048576);
      lo |= AMDV1_NL_SIZE << AMDV1_NEXT_LEVEL_SHIFT;
    }
    lo = (lo | ((addr >>> 0) & 0xfffff000)) >>> 0;
    hi = (hi | ((addr / TWO32) & 0xfffff)) >>> 0;
    const n = 1 << (sizeLg2 - isz);
    for (let k = 0; k < n; k++) {
      t[2 * (i + k)] = lo;
      t[2 * (i + k) + 1] = hi;
    }
  },

  leafAttrs(lo, hi) {
    let a = 0;
    if (hi & AMDV1_HI_IR) a |= PT_ATTR.READ;
    if (hi & AMDV1_HI_IW) a |= PT_ATTR.WRITE;
    if (lo & AMDV1_A) a |= PT_ATTR.ACCESSED;
    if (lo & AMDV1_D) a |= PT_ATTR.DIRTY;
    return a;
  },

  hwAccess(t, i, write, setA, setD): HwAccess {
    const lo = t[2 * i]!;
    const hi = t[2 * i + 1]!;
    if ((lo & AMDV1_PR) === 0) return HW_PERM_FAULT;
    if (write ? (hi & AMDV1_HI_IW) === 0 : (hi & AMDV1_HI_IR) === 0) return HW_PERM_FAULT;
    // AMD spec 2.2.3.1/2.2.3.2: with DTE.HAD, A on any access, D on a write; 64-bit atomic update.
    return hwSetLoBits(t, i, lo, (setA ? AMDV1_A : 0) | (setD && write ? AMDV1_D : 0));
  },

  describe(lo, hi, level) {
    const type = this.entryType(lo, hi, level);
    const fields: Record<string, number | boolean | string> = {
      PR: (lo & AMDV1_PR) !== 0,
      A: (lo & AMDV1_A) !== 0,
      NextLevel: nextLevel(lo),
      Address: hex(oa52(lo, hi)),
      IR: (hi & AMDV1_HI_IR) !== 0,
      IW: (hi & AMDV1_HI_IW) !== 0,
    };
    if (type === ENTRY_OA) {
      fields.D = (lo & AMDV1_D) !== 0;
      fields.FC = (hi & AMDV1_HI_FC) !== 0;
      fields.PageSize = hex(2 ** leafLg2(lo, hi, level));
      fields.Replicas = 1 << this.contigLg2(lo, hi, level);
    }
    return { kind: type === ENTRY_EMPTY ? 'EMPTY' : type === ENTRY_TABLE ? 'TABLE' : 'OA', fields };
  },
};
