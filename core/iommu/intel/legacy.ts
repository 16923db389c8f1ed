/**
 * VT-d legacy (non-scalable) mode context programming: ECAP.SMTS clear (or scalable mode
 * off, as QEMU 7.2's intel-iommu defaults to with x-scalable-mode=off), so devices are
 * translated through 128-bit context entries with a second-stage table and no PASIDs.
 *
 * Sources: drivers/iommu/intel/iommu.c domain_context_mapping_one (context_set_domain_id,
 * context_set_address_root, context_set_address_width(agaw), context_set_translation_type
 * (CONTEXT_TT_DEV_IOTLB for ATS devices, else CONTEXT_TT_MULTI_LEVEL), context_set_present;
 * then, because the hardware may cache the not-present entry, with CAP.CM a device-selective
 * context-cache invalidation for domain 0 and a domain-selective IOTLB invalidation of the new
 * DID — each its own qi_submit_sync — and without CM only a write-buffer flush, not modelled:
 * no RWBF) and domain_context_clear_one (clear, device-selective context-cache and DSI with
 * the old DID, device TLB for ATS devices). VT-d spec 9.1-9.3, 6.5.1.
 */
import { bit, fget, fset } from '../../base/bitfield';
import type { VtdIommuHw } from '../../hw/intel/model';
import { CAP, GRAN, LCE, LCE_TT, qiContextCache, qiDevIotlb, qiIotlb } from '../../hw/intel/regs';
import type { Device } from '../types';

/** MAX_AGAW_PFN_WIDTH: a device-TLB flush of everything (__iommu_flush_dev_iotlb(info, 0, MAX_AGAW_PFN_WIDTH)). */
const ALL_PFN_MASK = 52;

/**
 * domain_context_mapping_one: point `dev`'s legacy context entry at the second-stage table
 * `slptptr` of `levels` levels (AW = levels − 2) for domain `did`. A present entry is first
 * cleared as device_block_translation does. With CAP.CM: CC device-selective (did 0) + wait,
 * then IOTLB DSI (did) + wait.
 */
export function legacyContextMap(hw: VtdIommuHw, dev: Device, slptptr: number, levels: number, did: number): void {
  const pa = hw.legacyContextEntryAddr(dev.sid);
  if (bit(hw.mem.read64(pa), LCE.P)) legacyContextClear(hw, dev);
  const q1 = fset(fset(0n, LCE.AW_HI, LCE.AW_LO, levels - 2), LCE.DID_HI, LCE.DID_LO, did);
  let q0 = BigInt(slptptr) & ~0xfffn;
  q0 = fset(q0, LCE.TT_HI, LCE.TT_LO, dev.ats ? LCE_TT.DEV_IOTLB : LCE_TT.MULTI_LEVEL);
  q0 |= 1n << BigInt(LCE.P);
  hw.writeQword(pa + 8, q1, 'context.qw1');
  hw.writeQword(pa, q0, 'context.qw0');
  if (((hw.cap >> BigInt(CAP.CM)) & 1n) === 1n) {
    hw.qiSubmitSync([qiContextCache(GRAN.DEVICE_OR_PAGE, 0, dev.sid, 0)]);
    hw.qiSubmitSync([qiIotlb(GRAN.DOMAIN, did, 0, 0)]);
  }
}

/**
 * domain_context_clear_one: clear a present legacy context entry, then context-cache
 * device-selective and IOTLB DSI with the old DID (each with its wait) and, for an ATS
 * device, a whole device-TLB invalidation. No-op when the entry is not present.
 */
export function legacyContextClear(hw: VtdIommuHw, dev: Device): void {
  const pa = hw.legacyContextEntryAddr(dev.sid);
  if (!bit(hw.mem.read64(pa), LCE.P)) return;
  const oldDid = fget(hw.mem.read64(pa + 8), LCE.DID_HI, LCE.DID_LO);
  hw.writeQword(pa, 0n, 'context.qw0');
  hw.writeQword(pa + 8, 0n, 'context.qw1');
  hw.qiSubmitSync([qiContextCache(GRAN.DEVICE_OR_PAGE, oldDid, dev.sid, 0)]);
  hw.qiSubmitSync([qiIotlb(GRAN.DOMAIN, oldDid, 0, 0)]);
  if (dev.ats) hw.qiSubmitSync([qiDevIotlb(dev.sid, 32, 0, ALL_PFN_MASK)]);
}
