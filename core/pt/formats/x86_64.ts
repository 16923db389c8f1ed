/**
 * x86-64 4- and 5-level page table, as used by the Intel VT-d first stage and the AMD-Vi v2
 * ("guest") page table. Kernel drivers/iommu/generic_pt/fmt/x86_64.h (FMT_X86, iommupt);
 * Intel SDM Vol. 3 4.4 "4-Level Paging and 5-Level Paging"; VT-d spec 9.7 "First-Stage Paging
 * Entries"; AMD IOMMU spec 2.2.6 "I/O Page Tables for Guest Translations".
 *
 * Levels as the kernel numbers them: 0 PTE (4 KiB), 1 PDE (2 MiB), 2 PDPTE (1 GiB), 3 PML4E,
 * 4 PML5E. 4-level (48-bit VA) by default, 5-level (57-bit, capped at 2^53 here) allowed.
 *
 * Entry bits (64-bit), kernel names X86_64_FMT_*:
 *   0      P    present
 *   1      R/W  writable (X86_64_FMT_RW)
 *   2      U/S  user (X86_64_FMT_U)
 *   3 PWT, 4 PCD  cache control (never set by the kernel; decoded for the inspector only)
 *   5      A    accessed
 *   6      D    dirty (leaves)
 *   7      PS   page size, at levels 1 and 2 only: set = 2 MiB / 1 GiB leaf (X86_64_FMT_PS);
 *               at level 0 bit 7 is PAT and every present PTE is a leaf
 *   8      G    global (never set; decoded only)
 *   51:12       address of the page or of the next table (X86_64_FMT_OA)
 *   63     XD   execute disable (X86_64_FMT_XD; kept by pt_attr_from_entry, never set on map)
 *
 * What the kernel writes, and so what this module writes:
 * - x86_64_pt_install_table: P | RW | U | A | address.
 * - x86_64_pt_iommu_set_prot + x86_64_pt_install_leaf_entry: P | U | A | address, plus
 *   RW | D for IOMMU_WRITE, plus PS above level 0. IOMMU_READ has no bit (present = readable),
 *   so a write-only map is readable too. A and D are preset so hardware never has to perform
 *   the atomic A/D update on a kernel-installed leaf.
 * - pt_attr_from_entry keeps RW | U | A | D | XD; here PT_ATTR carries RW, A and D.
 *
 * Dirty tracking: x86_64.h defines no pt_entry_is_write_dirty / pt_entry_make_write_clean, so
 * the generic read_and_clear_dirty is not built for this format (D is preset on every writable
 * leaf anyway). `dirty` is null: readAndClearDirty and writeProtectAndClear return -EOPNOTSUPP
 * and caps.supportsDirty is false.
 *
 * Not modelled:
 * - PT_FEAT_SIGN_EXTEND (VT-d first stage: canonical upper half, lower half 2^47). The table
 *   translates [0, 2^48) / [0, 2^57) like the AMD v2 table without SIGN_EXTEND.
 * - PT_FEAT_X86_64_AMD_ENCRYPT_TABLES (SME: __sme_set on tables and leaves, __sme_clr when
 *   decoding). The C-bit position is CPU specific and the format hooks receive no features.
 * - The 3-level variant the kernel's fmt_init can select for hw_max_vasz_lg2 < 40.
 * - U/S, XD and PWT/PCD/PAT/G checks on DMA (requests are treated as user data reads/writes).
 *
 * Cut features (drivers/iommu/generic_pt/fmt/x86_64.h; docs/threads.md): OA_TABLE_XCHG only;
 * there are no contiguous sizes, so OA_SIZE_CHANGE is never needed.
 */
import { HW_ACCESS, type HwAccess } from '../types';
import {
  ENTRY_EMPTY, ENTRY_OA, ENTRY_TABLE, PT_ATTR, TWO32, hex, hwSetLoBits, itemLg2, oa52,
  type EntryType, type PtFormat,
} from '../format';

// Local copy of an imported constant: imported bindings may compile to getters (tsx/vite),
// and hwAccess runs on the DMA hot path.
const HW_PERM_FAULT: HwAccess = HW_ACCESS.PERM_FAULT;

export const X86_64_FMT_P = 1 << 0;
export const X86_64_FMT_RW = 1 << 1;
export const X86_64_FMT_U = 1 << 2;
export const X86_64_FMT_A = 1 << 5;
export const X86_64_FMT_D = 1 << 6;
export const X86_64_FMT_PS = 1 << 7;
/** Bit 63 (XD) as a bit of the high word. */
export const X86_64_FMT_HI_XD = 1 << (63 - 32);
/** Decoded for the inspector only (SDM names); the kernel never sets them. */
export const X86_64_PWT = 1 << 3;
export const X86_64_PCD = 1 << 4;
export const X86_64_G = 1 << 8;

/** x86_64_pt_can_have_leaf: leaves at levels 0..2. */
const MAX_LEAF_LEVEL = 2;

const TABLE_BITS = X86_64_FMT_P | X86_64_FMT_RW | X86_64_FMT_U | X86_64_FMT_A;

export const x86_64: PtFormat = {
  name: 'x86_64',
  minLevels: 4,
  maxLevels: 5,
  defaultLevels: 4,
  vaLg2: (levels) => 12 + 9 * levels,
  oaLg2: 52,
  presentLo: X86_64_FMT_P,
  oaHiMask: 0xfffff,
  typeShift: 7,
  typeMask: 1,
  group: null,
  dirty: null,
  dirtyModifier: false,
  contiguous: false,
  replicated: false,
  defaultFeatures: { oaTableXchg: true, oaSizeChange: false },

  possibleSizes(level, topLevel) {
    return level <= MAX_LEAF_LEVEL && level <= topLevel ? [itemLg2(level)] : [];
  },

  entryType(lo, _hi, level): EntryType {
    if ((lo & X86_64_FMT_P) === 0) return ENTRY_EMPTY;
    if (level === 0 || (level <= MAX_LEAF_LEVEL && (lo & X86_64_FMT_PS) !== 0)) return ENTRY_OA;
    return ENTRY_TABLE;
  },

  tablePhys: (lo, hi) => oa52(lo, hi),
  leafOa: (lo, hi) => oa52(lo, hi),
  contigLg2: () => 0,

  writeTable(t, i, _level, phys) {
    t[2 * i] = (((phys >>> 0) & 0xfffff000) | TABLE_BITS) >>> 0;
    t[2 * i + 1] = (phys / TWO32) & 0xfffff;
  },

  writeLeaf(t, i, level, oa, _sizeLg2, attrs) {
    let lo = ((oa >>> 0) & 0xfffff000) | X86_64_FMT_P | X86_64_FMT_U | X86_64_FMT_A;
    if (attrs & PT_ATTR.WRITE) lo |= X86_64_FMT_RW | X86_64_FMT_D;
    if (attrs & PT_ATTR.DIRTY) lo |= X86_64_FMT_D;
    if (level > 0) lo |= X86_64_FMT_PS;
    t[2 * i] = lo >>> 0;
    t[2 * i + 1] = (oa / TWO32) & 0xfffff;
  },

  leafAttrs(lo) {
    let a = PT_ATTR.READ;
    if (lo & X86_64_FMT_RW) a |= PT_ATTR.WRITE;
    if (lo & X86_64_FMT_A) a |= PT_ATTR.ACCESSED;
    if (lo & X86_64_FMT_D) a |= PT_ATTR.DIRTY;
    return a;
  },

  hwAccess(t, i, write, setA, setD): HwAccess {
    const lo = t[2 * i]!;
    // Present leaves are readable; writes need R/W (tables always have R/W set).
    if (write && (lo & X86_64_FMT_RW) === 0) return HW_PERM_FAULT;
    // SDM 4.8: the walker atomically sets A on access and D on a write when they are clear.
    return hwSetLoBits(t, i, lo, (setA ? X86_64_FMT_A : 0) | (setD && write ? X86_64_FMT_D : 0));
  },

  describe(lo, hi, level) {
    const type = this.entryType(lo, hi, level);
    const fields: Record<string, number | boolean | string> = {
      P: (lo & X86_64_FMT_P) !== 0,
      'R/W': (lo & X86_64_FMT_RW) !== 0,
      'U/S': (lo & X86_64_FMT_U) !== 0,
      PWT: (lo & X86_64_PWT) !== 0,
      PCD: (lo & X86_64_PCD) !== 0,
      A: (lo & X86_64_FMT_A) !== 0,
      D: (lo & X86_64_FMT_D) !== 0,
      [level === 0 ? 'PAT' : 'PS']: (lo & X86_64_FMT_PS) !== 0,
      G: (lo & X86_64_G) !== 0,
      ADDR: hex(oa52(lo, hi)),
      XD: (hi & X86_64_FMT_HI_XD) !== 0,
    };
    return { kind: type === ENTRY_EMPTY ? 'EMPTY' : type === ENTRY_TABLE ? 'TABLE' : 'OA', fields };
  },
};
