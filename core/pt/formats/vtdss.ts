/**
 * Intel VT-d second-stage page table (VT-d spec 9.8 "Second-Stage Paging Entries", 3.7.2
 * A/D flags; kernel drivers/iommu/generic_pt/fmt/vtdss.h, drivers/iommu/intel/iommu.h).
 *
 * Entry bits (64-bit):
 *   0  R    read   \ present iff R or W is set
 *   1  W    write  /
 *   7  PS   page size: at levels 1 (2 MiB) and 2 (1 GiB) marks a leaf; tables have PS = 0
 *   8  A    accessed (set by hardware when the PASID entry's SSADE is 1)
 *   9  D    dirty (DMA_SL_PTE_DIRTY_BIT; set by hardware on write when SSADE is 1)
 *   11 SNP  snoop: set on leaves once the domain enforces cache coherency
 *           (PT_FEAT_VTDSS_FORCE_COHERENCE, intel_iommu_enforce_cache_coherency_ss)
 *   51:12   address of the page or of the next table
 * Tables are installed with R and W set (the driver does so for non-leaf entries).
 * Widths: 4-level (48-bit, AGAW 48) and 5-level (57-bit). No contiguous sizes.
 */
import { HW_ACCESS, type HwAccess } from '../types';
import {
  ENTRY_EMPTY, ENTRY_OA, ENTRY_TABLE, PT_ATTR, TWO32, hex, hwSetLoBits, itemLg2, oa52,
  type EntryType, type PtFormat,
} from '../format';


// Local copies of imported constants: imported bindings may compile to getters (tsx/vite),
// and hwAccess runs on the DMA hot path.
const HW_PERM_FAULT: HwAccess = HW_ACCESS.PERM_FAULT;

export const VTDSS_R = 1 << 0;
export const VTDSS_W = 1 << 1;
export const VTDSS_PS = 1 << 7;
export const VTDSS_A = 1 << 8;
export const VTDSS_D = 1 << 9;
export const VTDSS_SNP = 1 << 11;

export const vtdss: PtFormat = {
  name: 'vtdss',
  minLevels: 3,
  maxLevels: 5,
  defaultLevels: 4,
  vaLg2: (levels) => 12 + 9 * levels,
  oaLg2: 52,
  presentLo: VTDSS_R | VTDSS_W,
  oaHiMask: 0xfffff,
  typeShift: 7,
  typeMask: 1,
  group: null,
  dirty: { loMask: VTDSS_D, loVal: VTDSS_D, hiMask: 0, hiVal: 0, cleanLoAnd: ~VTDSS_D, cleanLoOr: 0 },
  dirtyModifier: false,
  contiguous: false,
  replicated: false,
  defaultFeatures: { oaTableXchg: true, oaSizeChange: true },

  possibleSizes(level, topLevel) {
    // 4 KiB at level 0, 2 MiB (PS) at level 1, 1 GiB (PS) at level 2 (cap SLLPS).
    return level <= 2 && level <= topLevel ? [itemLg2(level)] : [];
  },

  entryType(lo, _hi, level): EntryType {
    if ((lo & (VTDSS_R | VTDSS_W)) === 0) return ENTRY_EMPTY;
    if (level === 0 || (lo & VTDSS_PS) !== 0) return ENTRY_OA;
    return ENTRY_TABLE;
  },

  tablePhys: (lo, hi) => oa52(lo, hi),
  leafOa: (lo, hi) => oa52(lo, hi),
  contigLg2: () => 0,

  writeTable(t, i, _level, phys) {
    t[2 * i] = (((phys >>> 0) & 0xfffff000) | VTDSS_R | VTDSS_W) >>> 0;
    t[2 * i + 1] = (phys / TWO32) & 0xfffff;
  },

  writeLeaf(t, i, level, oa, _sizeLg2, attrs) {
    let lo = (oa >>> 0) & 0xfffff000;
    if (attrs & PT_ATTR.READ) lo |= VTDSS_R;
    if (attrs & PT_ATTR.WRITE) lo |= VTDSS_W;
    if (level > 0) lo |= VTDSS_PS;
    if (attrs & PT_ATTR.ACCESSED) lo |= VTDSS_A;
    if (attrs & PT_ATTR.DIRTY) lo |= VTDSS_D;
    if (attrs & PT_ATTR.SNOOP) lo |= VTDSS_SNP;
    t[2 * i] = lo >>> 0;
    t[2 * i + 1] = (oa / TWO32) & 0xfffff;
  },

  leafAttrs(lo) {
    let a = 0;
    if (lo & VTDSS_R) a |= PT_ATTR.READ;
    if (lo & VTDSS_W) a |= PT_ATTR.WRITE;
    if (lo & VTDSS_A) a |= PT_ATTR.ACCESSED;
    if (lo & VTDSS_D) a |= PT_ATTR.DIRTY;
    if (lo & VTDSS_SNP) a |= PT_ATTR.SNOOP;
    return a;
  },

  hwAccess(t, i, write, setA, setD): HwAccess {
    const lo = t[2 * i]!;
    if (write ? (lo & VTDSS_W) === 0 : (lo & VTDSS_R) === 0) return HW_PERM_FAULT;
    // VT-d 3.7.2: with SSADE the remapping hardware atomically sets A on access, D on write.
    return hwSetLoBits(t, i, lo, (setA ? VTDSS_A : 0) | (setD && write ? VTDSS_D : 0));
  },

  describe(lo, hi, level) {
    const type = this.entryType(lo, hi, level);
    const fields: Record<string, number | boolean | string> = {
      R: (lo & VTDSS_R) !== 0,
      W: (lo & VTDSS_W) !== 0,
      PS: (lo & VTDSS_PS) !== 0,
      A: (lo & VTDSS_A) !== 0,
      D: (lo & VTDSS_D) !== 0,
      SNP: (lo & VTDSS_SNP) !== 0,
      ADDR: hex(oa52(lo, hi)),
    };
    return { kind: type === ENTRY_EMPTY ? 'EMPTY' : type === ENTRY_TABLE ? 'TABLE' : 'OA', fields };
  },
};
