/**
 * AMD-Vi architected registers, Device Table Entry fields, command and event encodings.
 *
 * Sources: AMD I/O Virtualization Technology (IOMMU) Specification (#48882) §2.2.2 DTE
 * (Table 7 "DTE Field Definitions": V, TV, HAD, Mode, Page Table Root Pointer, IR, IW,
 * DomainID), §2.2.3 host A/D, §2.4 commands, §2.5 event log; Linux
 * drivers/iommu/amd/amd_iommu_types.h (FEATURE_*, DTE_FLAG_*, CMD_*, EVENT_*).
 */
import { fget, fset, setBit } from '../../base/bitfield';

/** Extended Feature Register (MMIO 0x30) bits. */
export const EFR = {
  PREFETCH: 0,
  PPR: 1,
  GT: 4,
  IA: 6,
  PC: 9,
  /** HATS[11:10]: host address translation size, 0 = 4 levels, 1 = 5, 2 = 6. */
  HATS_LO: 10,
  GIOSUP: 48,
  /** FEATURE_HASUP: host access (A bit) update support. */
  HASUP: 49,
  /** FEATURE_HDSUP: host dirty (D bit) update support. */
  HDSUP: 52,
} as const;

/** DTE qword 0 / qword 1 fields (bit positions inside each qword). */
export const DTE = {
  V: 0,
  TV: 1,
  /** HAD[8:7]: host access/dirty update enable (DTE_FLAG_HAD = 3 << 7; 0b11 = A+D). */
  HAD_LO: 7,
  HAD_HI: 8,
  /** Mode[11:9]: paging levels (0 = no translation, 1..6). */
  MODE_LO: 9,
  MODE_HI: 11,
  /** Host page table root pointer [51:12]. */
  PTR_LO: 12,
  PTR_HI: 51,
  PPR: 52,
  GV: 55,
  IR: 61,
  IW: 62,
  /** qword 1: DomainID[15:0]; I (IOTLB enable, ATS) bit 32. */
  DOMID_LO: 0,
  DOMID_HI: 15,
  I: 32,
} as const;

/**
 * Guest-translation DTE fields (amd_iommu_types.h, AMD IOMMU spec §2.2.2.1): qword 0 GLX
 * 57:56, GV 55, GIOV 54, GCR3[14:12] 60:58; qword 1 GCR3[30:15] 31:16, GCR3[51:31] 63:43;
 * qword 2 guest paging level 55:54 (0 = 4-level, 1 = 5-level).
 */
export const GDTE = { GLX_LO: 56, GLX_HI: 57, GV: 55, GIOV: 54, GCR3_14_12_LO: 58, GCR3_14_12_HI: 60, GCR3_30_15_LO: 16, GCR3_30_15_HI: 31, GCR3_51_31_LO: 43, GCR3_51_31_HI: 63, GPT_LO: 54, GPT_HI: 55 } as const;

/** GCR3 root pointer (bytes) assembled from a DTE's qwords 0 and 1. */
export function gdteGcr3(q0: bigint, q1: bigint): number {
  return fget(q0, GDTE.GCR3_14_12_HI, GDTE.GCR3_14_12_LO) * 2 ** 12 + fget(q1, GDTE.GCR3_30_15_HI, GDTE.GCR3_30_15_LO) * 2 ** 15 + fget(q1, GDTE.GCR3_51_31_HI, GDTE.GCR3_51_31_LO) * 2 ** 31;
}

/** Bytes per DTE (256 bits). */
export const DTE_SIZE = 32;

/** Command opcodes (command bits 63:60 of qword 0). */
export const CMD = {
  COMPLETION_WAIT: 0x01,
  INVALIDATE_DEVTAB_ENTRY: 0x02,
  INVALIDATE_IOMMU_PAGES: 0x03,
  INVALIDATE_IOTLB_PAGES: 0x04,
  INVALIDATE_INTERRUPT_TABLE: 0x05,
  COMPLETE_PPR_REQUEST: 0x07,
  INVALIDATE_IOMMU_ALL: 0x08,
} as const;

/** INVALIDATE_IOMMU_PAGES qword 1 flag bits: S (size), PDE, GN. */
export const INV_S = 0;
export const INV_PDE = 1;
export const INV_GN = 2;
/** CMD_INV_IOMMU_ALL_PAGES_ADDRESS (with S=1: every page of the domain). */
export const INV_ALL_PAGES_ADDRESS = 0x7fff_ffff_ffff_f000n;

/** Event codes (event bits 63:60 of qword 0). */
export const EVENT = {
  ILLEGAL_DEV_TABLE_ENTRY: 0x1,
  IO_PAGE_FAULT: 0x2,
  DEV_TAB_HARDWARE_ERROR: 0x3,
  PAGE_TAB_HARDWARE_ERROR: 0x4,
  ILLEGAL_COMMAND_ERROR: 0x5,
  IOTLB_INV_TIMEOUT: 0x7,
} as const;

/** IO_PAGE_FAULT flags (event bits 59:48 >> 16 in the kernel's EVENT_FLAG_*). */
export const EVENT_FLAG = { GN: 0x001, NX: 0x002, US: 0x004, I: 0x008, PR: 0x010, RW: 0x020, PE: 0x040, RZ: 0x080, TR: 0x100 } as const;

/** COMPLETION_WAIT with the store bit: hardware writes `data` to `addr` when all prior commands completed. */
export function cmdCompletionWait(addr: number, data: bigint): bigint[] {
  let q0 = BigInt(addr) & 0x000f_ffff_ffff_fff8n;
  q0 |= 1n; // S: store
  q0 = fset(q0, 63, 60, CMD.COMPLETION_WAIT);
  return [q0, data];
}

/** INVALIDATE_DEVTAB_ENTRY for DeviceID `devid`. */
export function cmdInvDevtabEntry(devid: number): bigint[] {
  return [fset(BigInt(devid & 0xffff), 63, 60, CMD.INVALIDATE_DEVTAB_ENTRY), 0n];
}

/**
 * Address + S bit for a range invalidation, as the kernel's build_inv_address(): one page
 * → the page address with S=0; otherwise the naturally aligned power-of-two block covering
 * [address, address+size) encoded as address | (2^msb_diff - 1) with S=1 (all pages when
 * msb_diff > 51).
 */
export function buildInvAddress(address: number, size: number): bigint {
  const a = BigInt(address);
  const first = a >> 12n;
  const last = (a + BigInt(size) - 1n) >> 12n;
  if (first === last) return a & ~0xfffn;
  const end = a + BigInt(size) - 1n;
  const msbDiff = (a ^ end).toString(2).length - 1;
  let r = msbDiff > 51 ? INV_ALL_PAGES_ADDRESS : a | ((1n << BigInt(msbDiff)) - 1n);
  r &= ~0xfffn;
  return r | (1n << BigInt(INV_S));
}

/** Decode an S-encoded address back to [start, last] (inclusive) bytes. */
export function decodeInvAddress(q1: bigint): [number, number] {
  const addr = q1 & ~0xfffn;
  if (((q1 >> BigInt(INV_S)) & 1n) === 0n) return [Number(addr), Number(addr) + 4095];
  if (addr === INV_ALL_PAGES_ADDRESS) return [0, Infinity];
  // Size = 2^(12 + trailing ones of address[63:12] + 1).
  let ones = 0;
  while (((addr >> BigInt(12 + ones)) & 1n) === 1n) ones++;
  const lg2 = 12 + ones + 1;
  const start = (addr >> BigInt(lg2)) << BigInt(lg2);
  return [Number(start), Number(start) + 2 ** lg2 - 1];
}

/** INVALIDATE_IOMMU_PAGES for DomainID `domid` over [address, address+size), PDE as asked. */
export function cmdInvIommuPages(domid: number, address: number, size: number, pde: boolean): bigint[] {
  const q0 = fset(fset(0n, 47, 32, domid), 63, 60, CMD.INVALIDATE_IOMMU_PAGES);
  const q1 = setBit(buildInvAddress(address, size), INV_PDE, pde);
  return [q0, q1];
}

/** INVALIDATE_IOTLB_PAGES (device IOTLB, ATS) for DeviceID `devid`, queue depth `qdep`. */
export function cmdInvIotlbPages(devid: number, qdep: number, address: number, size: number): bigint[] {
  const q0 = fset(fset(BigInt(devid & 0xffff), 31, 24, qdep), 63, 60, CMD.INVALIDATE_IOTLB_PAGES);
  return [q0, buildInvAddress(address, size)];
}

/** Opcode of a command. */
export function cmdOpcode(q0: bigint): number {
  return fget(q0, 63, 60);
}

/** COMPLETE_PPR_REQUEST (build_complete_ppr): DeviceID, PASID, PPR tag (PRG index) and status (0 success, 1 invalid, 0xf failure). */
export function cmdCompletePpr(devid: number, pasid: number, tag: number, status: number): bigint[] {
  let q0 = BigInt(devid & 0xffff);
  q0 = fset(q0, 51, 32, pasid);
  q0 = fset(q0, 63, 60, CMD.COMPLETE_PPR_REQUEST);
  let q1 = fset(0n, 40, 32, tag & 0x1ff);
  q1 = fset(q1, 47, 44, status);
  if (pasid !== 0) q1 |= 1n << BigInt(INV_GN);
  return [q0, q1];
}
