/**
 * Intel VT-d architected registers, scalable-mode table entries, invalidation descriptors
 * and fault reasons.
 *
 * Sources: Intel VT-d specification rev. 3+/4 §9 (root/context/PASID entries), §6.5.2
 * (queued invalidation descriptors), §6.5.3.3 Table 23 (guidance), §7 (fault recording),
 * §10.4 (CAP_REG/ECAP_REG); Linux include/linux/intel-iommu.h / drivers/iommu/intel/iommu.h
 * (cap_*, ecap_* macros, QI_* encodings) and drivers/iommu/intel/pasid.h (pasid_set_ssade:
 * bit 9 of qword 0, PGTT 8:6, SLPTPTR 63:12, DID qword 1 15:0; pasid_set_page_snoop: qword 1
 * bit 23; pasid_set_pgsnp: qword 1 bit 24; pasid_set_flptr: qword 2 63:12; pasid_set_flpm:
 * qword 2 3:2); dmar.c dma_remap_sm_fault_reasons[] for scalable-mode fault reason codes
 * (0x30 + index); iommu.h qi_desc_piotlb / qi_desc_piotlb_all / qi_desc_dev_iotlb_pasid for the
 * PASID-based descriptors (VT-d spec §6.5.2.4 P_IOTLB, §6.5.2.6 PASID-based device-TLB).
 */
import { fget, fset } from '../../base/bitfield';

/** CAP_REG fields. */
export const CAP = {
  ND_LO: 0, ND_HI: 2, CM: 7, SAGAW_LO: 8, SAGAW_HI: 12, MGAW_LO: 16, MGAW_HI: 21,
  FRO_LO: 24, FRO_HI: 33, SLLPS_LO: 34, SLLPS_HI: 37, PSI: 39, NFR_LO: 40, NFR_HI: 47, MAMV_LO: 48, MAMV_HI: 53,
  /** First-stage 1 GiB pages (cap_fl1gp_support). */
  FL1GP: 56,
  /** First-stage 5-level paging (cap_fl5lp_support). The model never sets it (MGAW is 48 bits). */
  FL5LP: 60,
} as const;

/** ECAP_REG bits. */
export const ECAP = {
  C: 0, QI: 1, DT: 2, IR: 3, PT: 6, PRS: 29, PSS_LO: 35, PSS_HI: 39, PASID: 40,
  /** Snoop control (ecap_sc_support): SNP / PGSNP honoured, so coherency can be enforced. */
  SC: 7,
  /** Scalable mode translation support. */
  SMTS: 43,
  /** SLADS (SSADS): second-stage access/dirty support. */
  SLADS: 45,
  /** Second-stage translation support. */
  SLTS: 46,
  /** First-stage translation support. */
  FLTS: 47,
  /** Scalable-mode page-walk coherency (ecap_smpwc); ECAP.C covers legacy mode only. */
  SMPWC: 48,
  /** Nested translation support (ecap_nest, bit 26): PGTT 3 PASID entries. */
  NEST: 26,
} as const;

/** Scalable-mode PASID entry (512 bits) fields, qword 0 unless noted. */
export const PE = {
  P: 0, FPD: 1, AW_LO: 2, AW_HI: 4, PGTT_LO: 6, PGTT_HI: 8,
  /** Second-stage access/dirty enable. */
  SSADE: 9,
  SLPTPTR_LO: 12, SLPTPTR_HI: 63,
  /** qword 1: DID[15:0]. */
  DID_LO: 0, DID_HI: 15,
} as const;

/** Scalable-mode PASID entry qword 1 bits above DID (pasid.c pasid_set_page_snoop / pasid_set_pgsnp). */
export const PE_QW1 = {
  /** PWSNP, entry bit 87: page-walk snoop (set unless the table is PT_FEAT_DMA_INCOHERENT). */
  PWSNP: 23,
  /** PGSNP, entry bit 88: page snoop (force_snooping). */
  PGSNP: 24,
} as const;

/** Scalable-mode PASID entry qword 2 (entry bits 191:128): first-stage fields. */
export const PE_QW2 = {
  /** SRE, entry bit 128 (supervisor requests; SVA only, never set for DMA domains). */
  SRE: 0,
  /** FLPM (first-level paging mode), entry bits 131:130: 0 = 4-level, 1 = 5-level. */
  FLPM_LO: 2, FLPM_HI: 3,
  /** FLPTR (first-level page-table pointer), entry bits 191:140. */
  FLPTR_LO: 12, FLPTR_HI: 63,
} as const;

/** PASID entry PGTT values. */
export const PGTT = { FIRST_STAGE: 1, SECOND_STAGE: 2, NESTED: 3, PASS_THROUGH: 4 } as const;

/** Scalable-mode context entry (256 bits): P, FPD, DTE (device-TLB enable), PASIDE, PRE, PDTS[11:9], PASIDDIRPTR[63:12]. */
export const CE = { P: 0, FPD: 1, DTE: 2, PASIDE: 3, PRE: 4, PDTS_LO: 9, PDTS_HI: 11 } as const;

/** Bytes per entry. */
export const ROOT_ENTRY_SIZE = 16;
export const SM_CONTEXT_ENTRY_SIZE = 32;
export const PASID_DIR_ENTRY_SIZE = 8;
export const PASID_ENTRY_SIZE = 64;

/** Invalidation descriptor types (bits 3:0, with 11:9 as type[6:4]). */
export const QI = {
  CC: 0x1, IOTLB: 0x2, DIOTLB: 0x3, IEC: 0x4, IWD: 0x5, EIOTLB: 0x6, PC: 0x7, DEIOTLB: 0x8, PGRP_RESP: 0x9,
} as const;

/** Context-cache / IOTLB granularity (descriptor bits 5:4). */
export const GRAN = { GLOBAL: 1, DOMAIN: 2, DEVICE_OR_PAGE: 3 } as const;
/**
 * PASID-based IOTLB (QI_EIOTLB) granularity, bits 5:4 (iommu.h QI_GRAN_*): 2 = non-global
 * mappings of one PASID (PASID-selective-within-domain), 3 = page-selective-within-PASID.
 */
export const EIOTLB_GRAN = { NONG_PASID: 2, PSI_PASID: 3 } as const;
/** PASID-cache granularity (bits 5:4): 0 all PASIDs of a DID, 1 PASID-selective, 3 global. */
export const PC_GRAN = { ALL_PASIDS: 0, PASID_SEL: 1, GLOBAL: 3 } as const;

/** Scalable-mode fault reasons used by the model (dmar.c dma_remap_sm_fault_reasons). */
export const SM_FAULT = {
  CONTEXT_NOT_PRESENT: 0x41, // "SM: Present bit in Context Entry is clear"
  PASID_TOO_LARGE: 0x46, // "SM: PASID is larger than the max in Context Entry"
  PASID_DIR_ACCESS: 0x50, // "SM: Error attempting to access the PASID Directory Entry"
  PASID_DIR_NOT_PRESENT: 0x51,
  PASID_ENTRY_ACCESS: 0x58, // "SM: Error attempting to access PASID Table Entry"
  PASID_NOT_PRESENT: 0x59, // "SM: Present bit in PASID Table Entry is clear"
  INVALID_PASID_ENTRY: 0x5b, // "SM: Invalid Scalable-Mode PASID Table Entry"
  FL_ACCESS: 0x70, // "SM: Error attempting to access first-level paging entry"
  FL_NOT_PRESENT: 0x71, // "SM: Present bit in first-level paging entry is clear"
  SL_ACCESS: 0x78, // "SM: Error attempting to access second-level paging entry"
  SL_RW: 0x79, // "SM: Read/Write permission error in second-level paging entry"
  NO_WRITE: 0x85, // "SM: No write permission for Write/AtomicOp request"
  NO_READ: 0x86, // "SM: No read permission for Read/AtomicOp request"
} as const;

/** Legacy-mode fault reasons (dmar.c dma_fault_reasons, VT-d spec 7.1.3 Table 26). */
export const LEGACY_FAULT = {
  ROOT_NOT_PRESENT: 0x1, // "Present bit in root entry is clear"
  CONTEXT_NOT_PRESENT: 0x2, // "Present bit in context entry is clear"
  INVALID_CONTEXT: 0x3, // "Invalid context entry"
  NO_WRITE: 0x5, // "PTE Write access is not set"
  NO_READ: 0x6, // "PTE Read access is not set"
} as const;

export const LEGACY_FAULT_NAMES: Record<number, string> = {
  0x1: 'Present bit in root entry is clear',
  0x2: 'Present bit in context entry is clear',
  0x3: 'Invalid context entry',
  0x5: 'PTE Write access is not set',
  0x6: 'PTE Read access is not set',
};

/**
 * Legacy-mode context entry (128-bit, VT-d spec 9.3): qword 0 P 0, FPD 1, TT 3:2 (0 =
 * untranslated requests via second stage, 1 = also translated requests (device TLB),
 * 2 = pass-through), SLPTPTR 63:12; qword 1 AW 2:0, DID 23:8.
 */
export const LCE = { P: 0, FPD: 1, TT_LO: 2, TT_HI: 3, AW_LO: 0, AW_HI: 2, DID_LO: 8, DID_HI: 23 } as const;
/** Legacy context-entry translation types (CONTEXT_TT_*). */
export const LCE_TT = { MULTI_LEVEL: 0, DEV_IOTLB: 1, PASS_THROUGH: 2 } as const;
export const LEGACY_CONTEXT_ENTRY_SIZE = 16;

export const SM_FAULT_NAMES: Record<number, string> = {
  0x41: 'SM: Present bit in Context Entry is clear',
  0x46: 'SM: PASID is larger than the max in Context Entry',
  0x50: 'SM: Error attempting to access the PASID Directory Entry',
  0x51: 'SM: Present bit in Directory Entry is clear',
  0x58: 'SM: Error attempting to access PASID Table Entry',
  0x59: 'SM: Present bit in PASID Table Entry is clear',
  0x5b: 'SM: Invalid Scalable-Mode PASID Table Entry',
  0x70: 'SM: Error attempting to access first-level paging entry',
  0x71: 'SM: Present bit in first-level paging entry is clear',
  0x78: 'SM: Error attempting to access second-level paging entry',
  0x79: 'SM: Read/Write permission error in second-level paging entry',
  0x85: 'SM: No write permission for Write/AtomicOp request',
  0x86: 'SM: No read permission for Read/AtomicOp request',
};

/** QI_CC: context-cache invalidation (gran GLOBAL / DOMAIN(did) / DEVICE(did, sid, fm)). */
export function qiContextCache(gran: number, did: number, sid: number, fm: number): bigint[] {
  let q0 = BigInt(QI.CC);
  q0 = fset(q0, 5, 4, gran);
  q0 = fset(q0, 31, 16, did);
  q0 = fset(q0, 47, 32, sid);
  q0 = fset(q0, 49, 48, fm);
  return [q0, 0n];
}

/** QI_PC: PASID-cache invalidation. */
export function qiPasidCache(gran: number, did: number, pasid: number): bigint[] {
  let q0 = BigInt(QI.PC);
  q0 = fset(q0, 5, 4, gran);
  q0 = fset(q0, 31, 16, did);
  q0 = fset(q0, 51, 32, pasid);
  return [q0, 0n];
}

/**
 * QI_IOTLB: IOTLB invalidation. gran GLOBAL / DOMAIN (DSI) / PAGE (PSI with address mask
 * `am`: 2^am pages at `addr`, which must be aligned to 2^am pages). DR/DW drain bits set
 * as the kernel does when the hardware reports them.
 */
export function qiIotlb(gran: number, did: number, addr: number, am: number, ih = false): bigint[] {
  let q0 = BigInt(QI.IOTLB);
  q0 = fset(q0, 5, 4, gran);
  q0 = fset(q0, 31, 16, did);
  let q1 = BigInt(addr) & ~0xfffn;
  q1 = fset(q1, 5, 0, am);
  if (ih) q1 |= 1n << 6n;
  return [q0, q1];
}

/** QI_DIOTLB: device-TLB invalidation for source-id `sid`; size bit S with the address encoding the range. */
export function qiDevIotlb(sid: number, qdep: number, addr: number, maskLg2Pages: number, pfsid = 0): bigint[] {
  let q0 = BigInt(QI.DIOTLB);
  q0 = fset(q0, 15, 12, pfsid & 0xf);
  q0 = fset(q0, 20, 16, qdep);
  q0 = fset(q0, 47, 32, sid);
  q0 = fset(q0, 63, 52, (pfsid >> 4) & 0xfff);
  let q1 = BigInt(addr) & ~0xfffn;
  if (maskLg2Pages > 0) {
    q1 |= ((1n << BigInt(maskLg2Pages - 1)) - 1n) << 12n; // VTD_PAGE_MASK encoding
    q1 |= 1n; // S
  }
  return [q0, q1];
}

/**
 * Page-selective-within-PASID IOTLB invalidation (iommu.h qi_desc_piotlb): QI_EIOTLB type 0x6,
 * DID 31:16, PASID 51:32, granularity PSI_PASID; qword 1 address 63:12, IH 6, AM 5:0.
 * `addr` and `am` come from calculate_psi_aligned_address(). There is no CAP.MAMV limit on
 * AM here (cache_tag_flush_iotlb switches to the PASID-selective form only at
 * MAX_AGAW_PFN_WIDTH).
 */
export function qiPiotlb(did: number, pasid: number, addr: number, am: number, ih: boolean): bigint[] {
  let q0 = BigInt(QI.EIOTLB);
  q0 = fset(q0, 5, 4, EIOTLB_GRAN.PSI_PASID);
  q0 = fset(q0, 31, 16, did);
  q0 = fset(q0, 51, 32, pasid);
  let q1 = BigInt(addr) & ~0xfffn;
  if (ih) q1 |= 1n << 6n;
  q1 = fset(q1, 5, 0, am & 0x3f);
  return [q0, q1];
}

/** PASID-selective IOTLB invalidation (iommu.h qi_desc_piotlb_all): granularity NONG_PASID, qword 1 = 0. */
export function qiPiotlbAll(did: number, pasid: number): bigint[] {
  let q0 = BigInt(QI.EIOTLB);
  q0 = fset(q0, 5, 4, EIOTLB_GRAN.NONG_PASID);
  q0 = fset(q0, 31, 16, did);
  q0 = fset(q0, 51, 32, pasid);
  return [q0, 0n];
}

/**
 * PASID-based device-TLB invalidation (iommu.h qi_desc_dev_iotlb_pasid): QI_DEIOTLB type 0x8,
 * QDEP 8:4, SID 31:16, PASID 51:32, PFSID 15:12 and 63:52; qword 1 address with the S bit (11)
 * and the size encoded as the least significant zero address bit (VT-d spec 6.5.2.6).
 */
export function qiDevIotlbPasid(sid: number, pfsid: number, pasid: number, qdep: number, addr: number, sizeOrder: number): bigint[] {
  let q0 = BigInt(QI.DEIOTLB);
  q0 = fset(q0, 8, 4, qdep >= 32 ? 0 : qdep); // QI_DEV_EIOTLB_MAX_INVS
  q0 = fset(q0, 15, 12, pfsid & 0xf);
  q0 = fset(q0, 31, 16, sid);
  q0 = fset(q0, 51, 32, pasid);
  q0 = fset(q0, 63, 52, (pfsid >> 4) & 0xfff);
  let q1 = BigInt(addr) & ~0xfffn;
  if (sizeOrder > 0) {
    const mask = 1n << BigInt(12 + sizeOrder - 1);
    q1 |= ((1n << BigInt(sizeOrder + 12)) - 1n) & ~0xfffn; // GENMASK_ULL(size_order + 11, 12)
    q1 &= ~mask;
    q1 |= 1n << 11n; // QI_DEV_EIOTLB_SIZE
  }
  return [q0, q1];
}

/** QI_IWD: invalidation wait descriptor with status write (and fence). */
export function qiWait(statusAddr: number, data: number): bigint[] {
  let q0 = BigInt(QI.IWD);
  q0 |= 1n << 5n; // SW: status write
  q0 |= 1n << 6n; // FN: fence
  q0 = fset(q0, 63, 32, data);
  return [q0, BigInt(statusAddr) & ~3n];
}

/** Descriptor type. */
export function qiType(q0: bigint): number {
  return fget(q0, 3, 0) | (fget(q0, 11, 9) << 4);
}

/** Page group response descriptor (QI_PGRP_RESP): RID, PASID (+P), response code, PRG index, LPIG. */
export function qiPageGroupResponse(rid: number, pasid: number, prgi: number, code: number): bigint[] {
  let q0 = BigInt(QI.PGRP_RESP);
  if (pasid !== 0) q0 |= 1n << 4n;
  q0 = fset(q0, 15, 12, code);
  q0 = fset(q0, 31, 16, rid);
  q0 = fset(q0, 51, 32, pasid);
  let q1 = fset(0n, 11, 3, prgi);
  q1 |= 1n << 2n; // LPIG: last page in group
  return [q0, q1];
}
