/**
 * Arm SMMUv3 architected ID registers, STE/CD fields, command and event encodings.
 *
 * Sources: Arm SMMUv3 architecture (IHI 0070) §6.3 (IDR0-5), §5.2 (STE), §5.4 (CD; 5.4.1
 * HA/HD may be cached in TLB entries), §4 (commands), §7.3 (events); Linux
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h (IDR0_HTTU = GENMASK(7,6), IDR3_BBML =
 * GENMASK(12,11), IDR3_RIL = bit 10, CTXDESC_CD_0_TCR_HA = bit 43, _HD = bit 42,
 * CMDQ_OP_*, CMDQ_TLBI_0_NUM/SCALE, EVT_ID_*) of drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h.
 */
import { fget, fset } from '../../base/bitfield';

export const IDR0 = {
  S2P: 0, S1P: 1, TTF_LO: 2, TTF_HI: 3, COHACC: 4, BTM: 5,
  /** HTTU[7:6]: 0 none, 1 access flag, 2 access + dirty. */
  HTTU_LO: 6, HTTU_HI: 7,
  ATS: 10, ASID16: 12, PRI: 16, VMID16: 18, CD2L: 19, STALL_LO: 24, STALL_HI: 25, ST_LVL_LO: 27, ST_LVL_HI: 28,
} as const;
export const IDR1 = { SIDSIZE_LO: 0, SIDSIZE_HI: 5, SSIDSIZE_LO: 6, SSIDSIZE_HI: 10 } as const;
export const IDR3 = { HAD: 2, RIL: 10, BBML_LO: 11, BBML_HI: 12 } as const;
export const IDR5 = { OAS_LO: 0, OAS_HI: 2, GRAN4K: 4, GRAN64K: 6 } as const;

/** IDR0.HTTU values. */
export const HTTU = { NONE: 0, ACCESS: 1, ACCESS_DIRTY: 2 } as const;

/** STE qword 0/1 fields. */
export const STE = {
  V: 0, CFG_LO: 1, CFG_HI: 3, S1FMT_LO: 4, S1FMT_HI: 5, S1CTXPTR_LO: 6, S1CTXPTR_HI: 51, S1CDMAX_LO: 59, S1CDMAX_HI: 63,
  /** qword 1 */
  S1DSS_LO: 0, S1DSS_HI: 1, EATS_LO: 28, EATS_HI: 29,
} as const;
/**
 * STE qword 2 / 3 stage-2 fields (Arm SMMUv3 §5.2): S2VMID[15:0] (qword 2), S2TTB[51:4]
 * (qword 3). The other S2 fields (S2T0SZ, S2SL0, S2TG, S2PS, S2AA64, S2PTW, S2HA/HD) are
 * fixed by the model (4K granule, 48-bit IPA, AArch64, no S2 HTTU, as Linux programs them).
 */
export const STE2 = { S2VMID_LO: 0, S2VMID_HI: 15 } as const;
export const STE3 = { S2TTB_LO: 4, S2TTB_HI: 51 } as const;
/** STE bits a guest may set in a vSTE (STRTAB_STE_0/1_NESTING_ALLOWED, arm-smmu-v3.h). */
export const STE0_NESTING_ALLOWED = 1n | (7n << 1n) | (3n << 4n) | (((1n << 46n) - 1n) << 6n) | (0x1fn << 59n);
export const STE1_NESTING_ALLOWED = 3n | (3n << 2n) | (3n << 4n) | (3n << 6n) | (1n << 27n);
/** Opcodes a guest may issue through the vIOMMU (arm_vsmmu_convert_user_cmd). */
export const CMDQ_OP_GUEST = { TLBI_NH_VAA: 0x13 } as const;

/** STE.Config values. */
export const STE_CFG = { ABORT: 0b000, BYPASS: 0b100, S1_TRANS: 0b101, S2_TRANS: 0b110, NESTED: 0b111 } as const;
export const STE_SIZE = 64;

/** CD qword 0/1 fields. */
export const CD = {
  T0SZ_LO: 0, T0SZ_HI: 5, TG0_LO: 6, TG0_HI: 7, EPD1: 30, V: 31, IPS_LO: 32, IPS_HI: 34, AA64: 41,
  /** TCR.HD: hardware dirty-state update (with PTE DBM). */
  HD: 42,
  /** TCR.HA: hardware access-flag update. */
  HA: 43,
  S: 44, R: 45, A: 46, ASET: 47, ASID_LO: 48, ASID_HI: 63,
  /** qword 1: TTB0[51:4]. */
  TTB0_LO: 4, TTB0_HI: 51,
} as const;
export const CD_SIZE = 64;

/** Command opcodes (qword 0 bits 7:0). */
export const CMDQ_OP = {
  CFGI_STE: 0x03, CFGI_ALL: 0x04, CFGI_CD: 0x05, CFGI_CD_ALL: 0x06,
  TLBI_NH_ALL: 0x10, TLBI_NH_ASID: 0x11, TLBI_NH_VA: 0x12, TLBI_S12_VMALL: 0x28, TLBI_NSNH_ALL: 0x30,
  ATC_INV: 0x40, PRI_RESP: 0x41, RESUME: 0x44, CMD_SYNC: 0x46,
} as const;

/** Event ids (EVT_ID_*). */
export const EVT = {
  C_BAD_STREAMID: 0x02, C_BAD_STE: 0x04, F_STREAM_DISABLED: 0x06, C_BAD_SUBSTREAMID: 0x08, F_CD_FETCH: 0x09, C_BAD_CD: 0x0a,
  F_TRANSLATION: 0x10, F_ADDR_SIZE: 0x11, F_ACCESS: 0x12, F_PERMISSION: 0x13,
} as const;
export const EVT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(EVT).map(([k, v]) => [v, k]));

function op(o: number): bigint {
  return BigInt(o);
}

/** CMD_CFGI_STE (leaf). */
export function cmdCfgiSte(sid: number): bigint[] {
  return [fset(op(CMDQ_OP.CFGI_STE), 63, 32, sid), 1n];
}
/** CMD_CFGI_CD (leaf) for (sid, ssid). */
export function cmdCfgiCd(sid: number, ssid: number): bigint[] {
  return [fset(fset(op(CMDQ_OP.CFGI_CD), 31, 12, ssid), 63, 32, sid), 1n];
}
/** CMD_TLBI_NH_ASID. */
export function cmdTlbiNhAsid(asid: number, vmid = 0): bigint[] {
  return [fset(fset(op(CMDQ_OP.TLBI_NH_ASID), 47, 32, vmid), 63, 48, asid), 0n];
}
/** CMD_TLBI_S12_VMALL. */
export function cmdTlbiS12Vmall(vmid: number): bigint[] {
  return [fset(op(CMDQ_OP.TLBI_S12_VMALL), 47, 32, vmid), 0n];
}
/**
 * CMD_TLBI_NH_VA. Without range (num = scale = 0, tg = 0): one address. With range (RIL):
 * invalidates (num+1) × 2^scale granules of TG (1 = 4K) from `addr`; ttl = level hint.
 */
export function cmdTlbiNhVa(asid: number, addr: number, leaf: boolean, range?: { num: number; scale: number; tg: number; ttl: number }): bigint[] {
  let q0 = fset(op(CMDQ_OP.TLBI_NH_VA), 63, 48, asid);
  let q1 = BigInt(addr) & ~0xfffn;
  if (leaf) q1 |= 1n;
  if (range) {
    q0 = fset(fset(q0, 16, 12, range.num), 24, 20, range.scale);
    q1 = fset(fset(q1, 9, 8, range.ttl), 11, 10, range.tg);
  }
  return [q0, q1];
}
/** CMD_ATC_INV for (sid, ssid): size = log2 of 4K pages (52 - 12 = everything). */
export function cmdAtcInv(sid: number, ssid: number, addr: number, sizeLg2Pages: number): bigint[] {
  return [fset(fset(op(CMDQ_OP.ATC_INV), 31, 12, ssid), 63, 32, sid), fset(BigInt(addr) & ~0xfffn, 5, 0, sizeLg2Pages)];
}
/** CMD_SYNC with CS = SEV (completion signalled). */
export function cmdSync(): bigint[] {
  return [fset(op(CMDQ_OP.CMD_SYNC), 13, 12, 2), 0n];
}

export function cmdOp(q0: bigint): number {
  return fget(q0, 7, 0);
}

/** CMD_PRI_RESP for (sid, ssid): PRG index GRPID[8:0], RESP[13:12] (0 deny, 1 fail, 2 success). */
export function cmdPriResp(sid: number, ssid: number, grpid: number, resp: number): bigint[] {
  let q0 = fset(op(CMDQ_OP.PRI_RESP), 63, 32, sid);
  if (ssid !== 0) q0 = fset(q0 | (1n << 11n), 31, 12, ssid);
  return [q0, fset(fset(0n, 8, 0, grpid), 13, 12, resp)];
}
