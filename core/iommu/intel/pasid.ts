/**
 * VT-d scalable-mode PASID entry programming and the invalidations that go with it
 * (drivers/iommu/intel/pasid.c): first-stage setup (pasid_pte_config_first_level), second-stage
 * setup, replace with flush of the present entry, tear-down (the IOTLB flush chosen by the old
 * entry's PGTT, as intel_pasid_tear_down_entry does), and intel_pasid_setup_dirty_tracking
 * with the VT-d "Guidance to Software for Invalidations" sequence (PASID-cache
 * PASID-selective, domain-selective IOTLB, device-TLB for ATS devices), each a separate
 * qi_submit_sync as in Linux.
 */
import { ERRNO } from '../../base/errno';
import { bit, fget, fset } from '../../base/bitfield';
import type { VtdIommuHw } from '../../hw/intel/model';
import { CAP, GRAN, PC_GRAN, PE, PE_QW1, PE_QW2, PGTT, qiDevIotlb, qiDevIotlbPasid, qiIotlb, qiPasidCache, qiPiotlbAll } from '../../hw/intel/regs';
import type { Device } from '../types';

/** AW for a 4-level (48-bit) second-stage table (AGAW 2). */
const AW_4LEVEL = 2;

/** pasid_cache_invalidation_with_pasid: PASID-selective-within-domain PASID-cache invalidation. */
export function flushPasidCache(hw: VtdIommuHw, did: number, pasid: number): void {
  hw.qiSubmitSync([qiPasidCache(PC_GRAN.PASID_SEL, did, pasid)]);
}

/** flush_iotlb(..., DMA_TLB_DSI_FLUSH): domain-selective IOTLB invalidation. */
export function flushIotlbDsi(hw: VtdIommuHw, did: number): void {
  hw.qiSubmitSync([qiIotlb(GRAN.DOMAIN, did, 0, 0)]);
}

/** qi_flush_piotlb_all: PASID-selective PASID-based IOTLB invalidation (QI_EIOTLB, NONG_PASID). */
export function flushPiotlbAll(hw: VtdIommuHw, did: number, pasid: number): void {
  hw.qiSubmitSync([qiPiotlbAll(did, pasid)]);
}

/**
 * devtlb_invalidation_with_pasid: whole-range device-TLB flush, ATS devices only; RID_PASID
 * (IOMMU_NO_PASID) uses the plain device-TLB descriptor (qi_flush_dev_iotlb), any other
 * PASID the PASID-based one (qi_flush_dev_iotlb_pasid), both with mask 64 - VTD_PAGE_SHIFT.
 */
export function flushDevtlbAll(hw: VtdIommuHw, dev: Device, pasid = 0): void {
  if (!dev.ats) return;
  hw.qiSubmitSync([pasid === 0 ? qiDevIotlb(dev.sid, 32, 0, 52) : qiDevIotlbPasid(dev.sid, 0, pasid, 32, 0, 52)]);
}

/**
 * The IOTLB part of tearing down / replacing a present entry, by its PGTT
 * (intel_pasid_tear_down_entry): pass-through and first stage are PASID-tagged →
 * qi_flush_piotlb_all; second stage and nested → domain-selective IOTLB.
 */
function flushIotlbForPgtt(hw: VtdIommuHw, pgtt: number, did: number, pasid: number): void {
  if (pgtt === PGTT.PASS_THROUGH || pgtt === PGTT.FIRST_STAGE) flushPiotlbAll(hw, did, pasid);
  else flushIotlbDsi(hw, did);
}

/** intel_pasid_flush_present / tear-down flushes of a present entry with PGTT `pgtt` and DID `did`. */
function flushOldEntry(hw: VtdIommuHw, dev: Device, pgtt: number, did: number, pasid: number): void {
  flushPasidCache(hw, did, pasid);
  flushIotlbForPgtt(hw, pgtt, did, pasid);
  flushDevtlbAll(hw, dev, pasid);
}

/** intel_pasid_flush_present: the three flushes after changing a present entry. */
export function flushPresent(hw: VtdIommuHw, dev: Device, did: number, pasid: number): void {
  flushPasidCache(hw, did, pasid);
  flushIotlbDsi(hw, did);
  flushDevtlbAll(hw, dev);
}

/** Current qwords 0 and 1 of a PASID entry, or null when its PASID table is absent. */
export function readPasidEntry(hw: VtdIommuHw, dir: number, pasid: number): { pa: number; q0: bigint; q1: bigint } | null {
  const pa = hw.pasidEntryAddr(dir, pasid, false);
  if (pa < 0) return null;
  return { pa, q0: hw.mem.read64(pa), q1: hw.mem.read64(pa + 8) };
}

/**
 * intel_pasid_setup_second_level / _replace_second_level (pasid_pte_config_second_level):
 * program PGTT = second stage, SLPTPTR, AW, DID, SSADE (when the domain tracks dirty) and
 * PWSNP unless the table is PT_FEAT_DMA_INCOHERENT (pasid_set_page_snoop). A previously present entry is
 * replaced and flushed with its old DID; a new entry needs no invalidation unless CAP.CM = 1
 * (pasid_flush_caches: PASID cache + DSI IOTLB).
 */
export function setupSecondLevel(hw: VtdIommuHw, dev: Device, dir: number, pasid: number, slptptr: number, did: number, ssade: boolean, pwsnp = true, aw = AW_4LEVEL): void {
  const pa = hw.pasidEntryAddr(dir, pasid, true);
  const old = hw.mem.read64(pa);
  const oldDid = fget(hw.mem.read64(pa + 8), PE.DID_HI, PE.DID_LO);
  const oldPgtt = fget(old, PE.PGTT_HI, PE.PGTT_LO);
  let q0 = BigInt(slptptr) & ~0xfffn;
  q0 = fset(q0, PE.AW_HI, PE.AW_LO, aw);
  q0 = fset(q0, PE.PGTT_HI, PE.PGTT_LO, PGTT.SECOND_STAGE);
  if (ssade) q0 |= 1n << BigInt(PE.SSADE);
  q0 |= 1n << BigInt(PE.P);
  hw.writeQword(pa + 8, fset(0n, PE.DID_HI, PE.DID_LO, did) | (pwsnp ? 1n << BigInt(PE_QW1.PWSNP) : 0n), 'pasid.qw1');
  if (hw.mem.read64(pa + 16) !== 0n) hw.writeQword(pa + 16, 0n, 'pasid.qw2'); // pasid_clear_entry (an old FLPTR)
  hw.writeQword(pa, q0, 'pasid.qw0');
  if (bit(old, PE.P)) flushOldEntry(hw, dev, oldPgtt, oldDid, pasid);
  else if (((hw.cap >> BigInt(CAP.CM)) & 1n) === 1n) {
    // pasid_flush_caches: caching mode may have cached the not-present entry.
    flushPasidCache(hw, did, pasid);
    flushIotlbDsi(hw, did);
  }
}

/**
 * intel_pasid_tear_down_entry: clear P, then PASID-cache, IOTLB (qi_flush_piotlb_all for
 * pass-through / first stage, DSI for second stage / nested) and device-TLB flushes.
 */
export function tearDownEntry(hw: VtdIommuHw, dev: Device, dir: number, pasid: number): void {
  const e = readPasidEntry(hw, dir, pasid);
  if (!e || !bit(e.q0, PE.P)) return;
  hw.writeQword(e.pa, e.q0 & ~1n, 'pasid.qw0');
  flushOldEntry(hw, dev, fget(e.q0, PE.PGTT_HI, PE.PGTT_LO), fget(e.q1, PE.DID_HI, PE.DID_LO), pasid);
}

/** PASID_FLAG_* of domain_setup_first_level (pasid.h). */
export interface FirstLevelFlags {
  /** PASID_FLAG_FL5LP: 5-level table (FLPM = 1). */
  fl5lp: boolean;
  /** PASID_FLAG_PWSNP: page-walk snoop (the table is not PT_FEAT_DMA_INCOHERENT). */
  pwsnp: boolean;
  /** PASID_FLAG_PAGE_SNOOP: force_snooping (PGSNP). */
  pageSnoop: boolean;
}

/**
 * domain_setup_first_level → __domain_setup_first_level → intel_pasid_setup_first_level with
 * pasid_pte_config_first_level: pasid_clear_entry, FLPTR (qword 2 bits 63:12), FLPM = 1 for
 * 5-level, PGSNP, DID, AW = iommu->agaw (2: 48-bit), PWSNP, PGTT = first-stage only (1), P
 * last. The attach path first blocks the device (intel_iommu_attach_device →
 * device_block_translation → intel_pasid_tear_down_entry), so a present entry is torn down
 * with the flushes its PGTT needs; a new entry needs no invalidation unless CAP.CM
 * (pasid_flush_caches: PASID cache + qi_flush_piotlb_all).
 */
export function setupFirstLevel(hw: VtdIommuHw, dev: Device, dir: number, pasid: number, flptr: number, did: number, flags: FirstLevelFlags): void {
  tearDownEntry(hw, dev, dir, pasid);
  const pa = hw.pasidEntryAddr(dir, pasid, true);
  let q2 = BigInt(flptr) & ~0xfffn;
  if (flags.fl5lp) q2 = fset(q2, PE_QW2.FLPM_HI, PE_QW2.FLPM_LO, 1);
  let q1 = fset(0n, PE.DID_HI, PE.DID_LO, did);
  if (flags.pageSnoop) q1 |= 1n << BigInt(PE_QW1.PGSNP);
  if (flags.pwsnp) q1 |= 1n << BigInt(PE_QW1.PWSNP);
  let q0 = fset(0n, PE.AW_HI, PE.AW_LO, AW_4LEVEL);
  q0 = fset(q0, PE.PGTT_HI, PE.PGTT_LO, PGTT.FIRST_STAGE);
  q0 |= 1n << BigInt(PE.P);
  hw.writeQword(pa + 16, q2, 'pasid.qw2');
  hw.writeQword(pa + 8, q1, 'pasid.qw1');
  hw.writeQword(pa, q0, 'pasid.qw0');
  if (((hw.cap >> BigInt(CAP.CM)) & 1n) === 1n) {
    flushPasidCache(hw, did, pasid);
    flushPiotlbAll(hw, did, pasid);
  }
}

/**
 * intel_pasid_setup_dirty_tracking: -ENODEV without an entry, -EOPNOTSUPP unless PGTT is
 * second-stage or nested; 0 with no work if SSADE already matches; otherwise flip SSADE
 * and issue the Table-23 invalidations.
 */
export function setupDirtyTracking(hw: VtdIommuHw, dev: Device, dir: number, pasid: number, enable: boolean): number {
  const e = readPasidEntry(hw, dir, pasid);
  if (!e || !bit(e.q0, PE.P)) return -ERRNO.ENODEV;
  const pgtt = fget(e.q0, PE.PGTT_HI, PE.PGTT_LO);
  if (pgtt !== PGTT.SECOND_STAGE && pgtt !== PGTT.NESTED) return -ERRNO.EOPNOTSUPP;
  if (bit(e.q0, PE.SSADE) === enable) return 0;
  const q0 = enable ? e.q0 | (1n << BigInt(PE.SSADE)) : e.q0 & ~(1n << BigInt(PE.SSADE));
  hw.writeQword(e.pa, q0, 'pasid.qw0.SSADE');
  flushPresent(hw, dev, fget(e.q1, PE.DID_HI, PE.DID_LO), pasid);
  return 0;
}
