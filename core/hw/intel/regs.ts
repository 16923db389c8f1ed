/**
 * Intel VT-d architected registers, scalable-mode table entries, invalidation descriptors
 * and fault reasons.
 *
 * Sources: Intel VT-d specification rev. 3+/4 §9 (root/context/PASID entries), §6.5.2
 * (queued invalidation descriptors), §6.5.3.3 Table 23 (guidance), §7 (fault recording),
 * §10.4 (CAP_REG/ECAP_REG); Linux include/linux/intel-iommu.h / drivers/iommu/intel/iommu.h
 * (cap_*, ecap_* macros, QI_* encodings) and drivers/iommu/intel/pasid.h (pasid_set_ssade:
 * bit 9 of qword 0, PGTT 8:6, SLPTPTR 63:12, DID qword 1 15:0); dmar.c
 * dma_remap_sm_fault_reasons[] for scalable-mode fault reason codes (0x30 + index).
 */
import { fget, fset } from '../bits';

/** CAP_REG fields. */
export const CAP = {
  ND_LO: 0, ND_HI: 2, CM: 7, SAGAW_LO: 8, SAGAW_HI: 12, MGAW_LO: 16, MGAW_HI: 21,
  FRO_LO: 24, FRO_HI: 33, SLLPS_LO: 34, SLLPS_HI: 37, PSI: 39, NFR_LO: 40, NFR_HI: 47, MAMV_LO: 48, MAMV_HI: 53,
} as const;

/** ECAP_REG bits. */
export const ECAP = {
  C: 0, QI: 1, DT: 2, IR: 3, PT: 6, PRS: 29, PSS_LO: 35, PSS_HI: 39, PASID: 40,
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
  SL_ACCESS: 0x78, // "SM: Error attempting to access second-level paging entry"
  SL_RW: 0x79, // "SM: Read/Write permission error in second-level paging entry"
  NO_WRITE: 0x85, // "SM: No write permission for Write/AtomicOp request"
  NO_READ: 0x86, // "SM: No read permission for Read/AtomicOp request"
} as const;

export const SM_FAULT_NAMES: Record<number, string> = {
  0x41: 'SM: Present bit in Context Entry is clear',
  0x46: 'SM: PASID is larger than the max in Context Entry',
  0x50: 'SM: Error attempting to access the PASID Directory Entry',
  0x51: 'SM: Present bit in Directory Entry is clear',
  0x58: 'SM: Error attempting to access PASID Table Entry',
  0x59: 'SM: Present bit in PASID Table Entry is clear',
  0x5b: 'SM: Invalid Scalable-Mode PASID Table Entry',
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
