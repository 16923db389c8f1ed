/**
 * Arm VMSAv8-64 stage-1 translation table, 4 KiB granule, 48-bit VA (Arm ARM D8 "The
 * AArch64 Virtual Memory System Architecture"; kernel drivers/iommu/io-pgtable-arm.c).
 * Our level 3..0 are Arm lookup levels 0..3.
 *
 * Descriptor bits used (64-bit):
 *   1:0   0b11 table (levels 3..1) or page (level 0); 0b01 block (levels 1, 2); bit 0 = valid
 *   4:2   AttrIndx (1 = MAIR index of cacheable normal memory, ARM_LPAE_MAIR_ATTR_IDX_CACHE)
 *   6     AP[1] (unprivileged; io-pgtable sets it for non-IOMMU_PRIV mappings)
 *   7     AP[2] read-only (ARM_LPAE_PTE_AP_RDONLY)
 *   9:8   SH (3 = inner shareable)
 *   10    AF access flag (io-pgtable installs it set; hardware sets it when CD.HA and AF = 0)
 *   11    nG
 *   47:12 output address / next-level table address
 *   51    DBM dirty bit modifier
 *   52    Contiguous: the item is one of 16 aligned items forming a 64 KiB / 32 MiB / 16 GiB leaf
 * Blocks: 2 MiB (level 1) and 1 GiB (level 2); no blocks at level 3 (Arm level 0).
 *
 * HTTU dirty state (Arm ARM D8.4.6; io-pgtable-arm.c ARM_LPAE_PTE_DBM, AP_RDONLY):
 *   DBM=0 AP[2]=0 writable (untracked) · DBM=0 AP[2]=1 read-only ·
 *   DBM=1 AP[2]=1 writable-clean (a write with CD.HD clears AP[2]) · DBM=1 AP[2]=0 writable-dirty.
 * Each contiguous item has its own AF/AP[2]; hardware updates the one it fetched, so software
 * treats the block as dirty if any item is (generic_pt "dirty any one contiguous item").
 */
import { HW_ACCESS, type HwAccess } from '../types';
import {
  ENTRY_EMPTY, ENTRY_OA, ENTRY_TABLE, PT_ATTR, TWO32, hex, itemLg2,
  type EntryType, type PtFormat,
} from '../format';


// Local copies of imported constants: imported bindings may compile to getters (tsx/vite),
// and hwAccess runs on the DMA hot path.
const HW_OK: HwAccess = HW_ACCESS.OK;
const HW_UPDATED: HwAccess = HW_ACCESS.UPDATED;
const HW_PERM_FAULT: HwAccess = HW_ACCESS.PERM_FAULT;

export const ARMV8_VALID = 1 << 0;
export const ARMV8_TYPE_TABLE = 1 << 1;
export const ARMV8_ATTRINDX_CACHE = 1 << 2;
export const ARMV8_AP1 = 1 << 6;
export const ARMV8_AP2 = 1 << 7;
export const ARMV8_SH_IS = 3 << 8;
export const ARMV8_AF = 1 << 10;
export const ARMV8_NG = 1 << 11;
/** Bit 51 (DBM) and 52 (Contiguous) as bits of the high word. */
export const ARMV8_HI_DBM = 1 << (51 - 32);
export const ARMV8_HI_CONT = 1 << (52 - 32);
/** Items per contiguous leaf (4 KiB granule). */
export const ARMV8_CONT_LG2 = 4;

function oa48(lo: number, hi: number): number {
  return (hi & 0xffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
}

const LEAF_LO = ARMV8_VALID | ARMV8_ATTRINDX_CACHE | ARMV8_AP1 | ARMV8_SH_IS | ARMV8_NG;

export const armv8: PtFormat = {
  name: 'armv8',
  minLevels: 4,
  maxLevels: 4,
  defaultLevels: 4,
  vaLg2: () => 48,
  oaLg2: 48,
  presentLo: ARMV8_VALID,
  oaHiMask: 0xffff,
  typeShift: 1,
  typeMask: 1,
  group: { loMask: 0, loVal: 0, hiMask: ARMV8_HI_CONT, hiVal: ARMV8_HI_CONT },
  dirty: { loMask: ARMV8_AP2, loVal: 0, hiMask: ARMV8_HI_DBM, hiVal: ARMV8_HI_DBM, cleanLoAnd: ~0, cleanLoOr: ARMV8_AP2 },
  dirtyModifier: true,
  contiguous: true,
  replicated: false,
  defaultFeatures: { oaTableXchg: true, oaSizeChange: true },

  possibleSizes(level) {
    if (level > 2) return [];
    const isz = itemLg2(level);
    return [isz, isz + ARMV8_CONT_LG2];
  },

  entryType(lo, _hi, level): EntryType {
    if ((lo & ARMV8_VALID) === 0) return ENTRY_EMPTY;
    const isTableBit = (lo & ARMV8_TYPE_TABLE) !== 0;
    if (level === 0) return isTableBit ? ENTRY_OA : ENTRY_EMPTY; // 0b01 at lookup level 3 is reserved
    if (isTableBit) return ENTRY_TABLE;
    return level <= 2 ? ENTRY_OA : ENTRY_EMPTY; // no blocks at lookup level 0 (4 KiB granule)
  },

  tablePhys: (lo, hi) => oa48(lo, hi),

  leafOa(lo, hi, level) {
    const oa = oa48(lo, hi);
    if ((hi & ARMV8_HI_CONT) === 0) return oa;
    const size = 2 ** (itemLg2(level) + ARMV8_CONT_LG2);
    return oa - (oa % size);
  },

  contigLg2: (_lo, hi) => ((hi & ARMV8_HI_CONT) !== 0 ? ARMV8_CONT_LG2 : 0),

  writeTable(t, i, _level, phys) {
    t[2 * i] = (((phys >>> 0) & 0xfffff000) | ARMV8_VALID | ARMV8_TYPE_TABLE) >>> 0;
    t[2 * i + 1] = (phys / TWO32) & 0xffff;
  },

  writeLeaf(t, i, level, oa, sizeLg2, attrs) {
    const isz = itemLg2(level);
    let lo = LEAF_LO;
    let hi = 0;
    if (level === 0) lo |= ARMV8_TYPE_TABLE; // page descriptor 0b11
    lo |= ARMV8_AF; // io-pgtable-arm always installs AF (ARM_LPAE_PTE_AF in arm_lpae_prot_to_pte)
    if (attrs & PT_ATTR.WRITE) {
      if (attrs & PT_ATTR.DBM) {
        hi |= ARMV8_HI_DBM;
        if (!(attrs & PT_ATTR.DIRTY)) lo |= ARMV8_AP2; // writable-clean
      }
    } else {
      lo |= ARMV8_AP2; // read-only
    }
    const n = sizeLg2 - isz;
    if (n !== 0) hi |= ARMV8_HI_CONT;
    const itemSize = 2 ** isz;
    const count = 1 << n;
    let a = oa;
    for (let k = 0; k < count; k++) {
      t[2 * (i + k)] = (lo | ((a >>> 0) & 0xfffff000)) >>> 0;
      t[2 * (i + k) + 1] = (hi | ((a / TWO32) & 0xffff)) >>> 0;
      a += itemSize;
    }
  },

  leafAttrs(lo, hi) {
    let a = PT_ATTR.READ;
    const dbm = (hi & ARMV8_HI_DBM) !== 0;
    const ap2 = (lo & ARMV8_AP2) !== 0;
    if (dbm || !ap2) a |= PT_ATTR.WRITE;
    if (dbm) a |= PT_ATTR.DBM;
    if (dbm && !ap2) a |= PT_ATTR.DIRTY;
    if (lo & ARMV8_AF) a |= PT_ATTR.ACCESSED;
    return a;
  },

  hwAccess(t, i, write, setA, setD): HwAccess {
    const lo = t[2 * i]!;
    const hi = t[2 * i + 1]!;
    let nlo = lo;
    if ((lo & ARMV8_AF) === 0) {
      if (!setA) return HW_PERM_FAULT; // Access flag fault (no HTTU access update)
      nlo |= ARMV8_AF;
    }
    if (write && (lo & ARMV8_AP2) !== 0) {
      // DBM=1 & AP[2]=1 is writable-clean: with CD.HD hardware clears AP[2]; otherwise fault.
      if ((hi & ARMV8_HI_DBM) === 0 || !setD) return HW_PERM_FAULT;
      nlo &= ~ARMV8_AP2;
    }
    // `|` yields a signed int32: compare as unsigned, or an OA with bit 31 set always "updates".
    if (nlo >>> 0 === lo) return HW_OK;
    t[2 * i] = nlo >>> 0;
    return HW_UPDATED;
  },

  describe(lo, hi, level) {
    const type = this.entryType(lo, hi, level);
    const fields: Record<string, number | boolean | string> = {
      Valid: (lo & ARMV8_VALID) !== 0,
      Type: type === ENTRY_TABLE ? 'Table' : type === ENTRY_OA ? (level === 0 ? 'Page' : 'Block') : 'Invalid',
    };
    if (type === ENTRY_TABLE) {
      fields.NextLevelTableAddress = hex(oa48(lo, hi));
    } else if (type === ENTRY_OA) {
      fields.OutputAddress = hex(oa48(lo, hi));
      fields.AttrIndx = (lo >>> 2) & 7;
      fields['AP[1]'] = (lo & ARMV8_AP1) !== 0;
      fields['AP[2]'] = (lo & ARMV8_AP2) !== 0;
      fields.SH = (lo >>> 8) & 3;
      fields.AF = (lo & ARMV8_AF) !== 0;
      fields.nG = (lo & ARMV8_NG) !== 0;
      fields.DBM = (hi & ARMV8_HI_DBM) !== 0;
      fields.Contiguous = (hi & ARMV8_HI_CONT) !== 0;
      const dbm = (hi & ARMV8_HI_DBM) !== 0;
      const ap2 = (lo & ARMV8_AP2) !== 0;
      fields.State = dbm ? (ap2 ? 'writable-clean' : 'writable-dirty') : ap2 ? 'read-only' : 'writable';
    }
    return { kind: type === ENTRY_EMPTY ? 'EMPTY' : type === ENTRY_TABLE ? 'TABLE' : 'OA', fields };
  },
};
