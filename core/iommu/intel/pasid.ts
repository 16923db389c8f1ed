/**
 * VT-d scalable-mode PASID entry programming and the invalidations that go with it
 * (drivers/iommu/intel/pasid.c): second-stage setup, replace with flush of the present
 * entry, tear-down, and intel_pasid_setup_dirty_tracking with the VT-d "Guidance to
 * Software for Invalidations" sequence (PASID-cache PASID-selective, domain-selective
 * IOTLB, device-TLB for ATS devices), each a separate qi_submit_sync as in Linux.
 */
import { ERRNO } from '../../errno';
import { bit, fget, fset } from '../../hw/bits';
import type { VtdIommuHw } from '../../hw/intel/model';
import { CAP, GRAN, PC_GRAN, PE, PGTT, qiDevIotlb, qiIotlb, qiPasidCache } from '../../hw/intel/regs';
import type { IommuDevice } from '../types';

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

/** devtlb_invalidation_with_pasid for RID_PASID: whole-range device-TLB flush, ATS devices only. */
export function flushDevtlbAll(hw: VtdIommuHw, dev: IommuDevice): void {
  if (!dev.ats) return;
  hw.qiSubmitSync([qiDevIotlb(dev.sid, 32, 0, 52)]);
}

/** intel_pasid_flush_present: the three flushes after changing a present entry. */
export function flushPresent(hw: VtdIommuHw, dev: IommuDevice, did: number, pasid: number): void {
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
 * intel_pasid_setup_second_level / _replace_second_level: program PGTT = second stage,
 * SLPTPTR, AW, DID and SSADE (when the domain tracks dirty). A previously present entry is
 * replaced and flushed with its old DID; a new entry needs no invalidation unless CAP.CM = 1
 * (pasid_flush_caches: PASID cache + DSI IOTLB).
 */
export function setupSecondLevel(hw: VtdIommuHw, dev: IommuDevice, dir: number, pasid: number, slptptr: number, did: number, ssade: boolean): void {
  const pa = hw.pasidEntryAddr(dir, pasid, true);
  const old = hw.mem.read64(pa);
  const oldDid = fget(hw.mem.read64(pa + 8), PE.DID_HI, PE.DID_LO);
  let q0 = BigInt(slptptr) & ~0xfffn;
  q0 = fset(q0, PE.AW_HI, PE.AW_LO, AW_4LEVEL);
  q0 = fset(q0, PE.PGTT_HI, PE.PGTT_LO, PGTT.SECOND_STAGE);
  if (ssade) q0 |= 1n << BigInt(PE.SSADE);
  q0 |= 1n << BigInt(PE.P);
  hw.writeQword(pa + 8, fset(0n, PE.DID_HI, PE.DID_LO, did), 'pasid.qw1');
  hw.writeQword(pa, q0, 'pasid.qw0');
  if (bit(old, PE.P)) flushPresent(hw, dev, oldDid, pasid);
  else if (((hw.cap >> BigInt(CAP.CM)) & 1n) === 1n) {
    // pasid_flush_caches: caching mode may have cached the not-present entry.
    flushPasidCache(hw, did, pasid);
    flushIotlbDsi(hw, did);
  }
}

/** intel_pasid_tear_down_entry: clear P, then PASID-cache, IOTLB (DSI) and device-TLB flushes. */
export function tearDownEntry(hw: VtdIommuHw, dev: IommuDevice, dir: number, pasid: number): void {
  const e = readPasidEntry(hw, dir, pasid);
  if (!e || !bit(e.q0, PE.P)) return;
  hw.writeQword(e.pa, e.q0 & ~1n, 'pasid.qw0');
  flushPresent(hw, dev, fget(e.q1, PE.DID_HI, PE.DID_LO), pasid);
}

/**
 * intel_pasid_setup_dirty_tracking: -ENODEV without an entry, -EOPNOTSUPP unless PGTT is
 * second-stage or nested; 0 with no work if SSADE already matches; otherwise flip SSADE
 * and issue the Table-23 invalidations.
 */
export function setupDirtyTracking(hw: VtdIommuHw, dev: IommuDevice, dir: number, pasid: number, enable: boolean): number {
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
