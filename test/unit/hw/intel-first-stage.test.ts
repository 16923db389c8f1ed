/**
 * VT-d first-stage paging domains as mainline Linux allocates them
 * (intel_iommu_domain_alloc_paging_flags → intel_iommu_domain_alloc_first_stage), the
 * PGTT = 1 PASID entry (pasid_pte_config_first_level), the first-stage walk of the hardware
 * model and the PASID-based IOTLB invalidations of cache.c.
 */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import type { PagingDomain } from '../../../core/iommu/paging-domain';
import type { VtdIommuHw } from '../../../core/hw/intel/model';
import { GRAN, QI, SM_FAULT, qiDevIotlbPasid, qiIotlb, qiPiotlb, qiType } from '../../../core/hw/intel/regs';
import { computeVaszLg2Fs, VtdFirstStageDomain } from '../../../core/iommu/intel/driver';
import type { VtdIommuDriver } from '../../../core/iommu/intel/driver';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../../core/uapi/iommufd';
import type { Device } from '../../../core/iommu/types';
import { iotlbGatherInit } from '../../../core/pt';
import { IOMMU_READ } from '../../../core/pt/types';
import { cmdNames, makeSystem, map } from './helpers';

const SZ_4K = 0x1000;
const SZ_2M = 0x200000;
const SZ_1G = 0x40000000;

type Sys = ReturnType<typeof makeSystem>;

function fsSetup(caps: Record<string, number | boolean> = {}, devSpec: { ats?: boolean } = {}): { sys: Sys; hw: VtdIommuHw; dev: Device; dom: PagingDomain } {
  const sys = makeSystem('intel', { caps });
  const dev = sys.addDevice({ sid: 0x10, ...devSpec });
  const dom = sys.driver.domainAllocPagingFlags(dev, 0);
  if (typeof dom === 'number') throw new Error(`alloc failed ${dom}`);
  const pd = dom as PagingDomain;
  expect(pd.ops.attachDev(pd, dev)).toBe(0);
  return { sys, hw: sys.hw as VtdIommuHw, dev, dom: pd };
}

/** Qwords 0..2 of the RID_PASID entry of `sid`. */
function pasidEntry(sys: Sys, sid: number): [bigint, bigint, bigint] {
  const drv = sys.driver as VtdIommuDriver;
  const dir = (drv.devices.get(sid) as unknown as { pasidDir: number }).pasidDir;
  const pa = drv.hw.pasidEntryAddr(dir, 0, false);
  return [drv.hw.mem.read64(pa), drv.hw.mem.read64(pa + 8), drv.hw.mem.read64(pa + 16)];
}

const field = (v: bigint, hi: number, lo: number): number => Number((v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n));

describe('VT-d first-stage paging domains', () => {
  it('a plain paging domain is first stage (x86_64, 4 levels, no dirty ops); DIRTY_TRACKING / NEST_PARENT / no FLTS give second stage', () => {
    const sys = makeSystem('intel');
    const dev = sys.addDevice({ sid: 1 });
    const plain = sys.driver.domainAllocPagingFlags(dev, 0) as PagingDomain;
    expect(plain).toBeInstanceOf(VtdFirstStageDomain);
    expect(plain.pt.formatName).toBe('x86_64');
    expect(plain.pt.topLevel).toBe(3); // 4-level: compute_vasz_lg2_fs with MGAW 48
    expect(plain.pt.vaLimit).toBe(2 ** 48);
    expect(plain.dirtyOps).toBeNull();
    expect(plain.pgsizeBitmap).toBe(SZ_4K | SZ_2M | SZ_1G);
    expect(plain.pt.incoherent).toBeNull();
    const pasidFlag = sys.driver.domainAllocPagingFlags(dev, IOMMU_HWPT_ALLOC_PASID) as PagingDomain;
    expect(pasidFlag.pt.formatName).toBe('x86_64');

    const dirty = sys.driver.domainAllocPagingFlags(dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING) as PagingDomain;
    expect(dirty).not.toBeInstanceOf(VtdFirstStageDomain);
    expect(dirty.pt.formatName).toBe('vtdss');
    expect(dirty.dirtyOps).not.toBeNull();
    const parent = sys.driver.domainAllocPagingFlags(dev, IOMMU_HWPT_ALLOC_NEST_PARENT) as PagingDomain;
    expect(parent.pt.formatName).toBe('vtdss');

    const noFlts = makeSystem('intel', { caps: { flts: false } });
    const d2 = noFlts.addDevice({ sid: 1 });
    expect((noFlts.driver.domainAllocPagingFlags(d2, 0) as PagingDomain).pt.formatName).toBe('vtdss');
    // No first stage and no second stage: nothing to fall back to.
    const neither = makeSystem('intel', { caps: { flts: false, slts: false } });
    expect(neither.driver.domainAllocPagingFlags(neither.addDevice({ sid: 1 }), 0)).toBe(-ERRNO.EOPNOTSUPP);
    // Second-stage-less hardware still gets first-stage domains, but no dirty tracking.
    const fsOnly = makeSystem('intel', { caps: { slts: false } });
    const d3 = fsOnly.addDevice({ sid: 1 });
    expect((fsOnly.driver.domainAllocPagingFlags(d3, 0) as PagingDomain).pt.formatName).toBe('x86_64');
    expect(fsOnly.driver.domainAllocPagingFlags(d3, IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).toBe(-ERRNO.EOPNOTSUPP);

    expect(computeVaszLg2Fs(48, false)).toEqual({ vaszLg2: 48, levels: 4 });
    expect(computeVaszLg2Fs(57, true)).toEqual({ vaszLg2: 57, levels: 5 });
    expect(computeVaszLg2Fs(57, false)).toEqual({ vaszLg2: 48, levels: 4 });
  });

  it('attach programs the RID_PASID entry: P, AW, PGTT = 1, DID, PWSNP, FLPTR = the x86_64 root, FLPM = 0', () => {
    const { sys, dom } = fsSetup();
    const [q0, q1, q2] = pasidEntry(sys, 0x10);
    expect(field(q0, 0, 0)).toBe(1); // P
    expect(field(q0, 4, 2)).toBe(2); // AW: agaw 2 (48-bit)
    expect(field(q0, 8, 6)).toBe(1); // PGTT: first-stage only
    expect(field(q0, 9, 9)).toBe(0); // SSADE
    expect(q0 >> 12n).toBe(0n); // SLPTPTR unused
    expect(field(q1, 15, 0)).toBe(dom.tag); // DID
    expect(field(q1, 23, 23)).toBe(1); // PWSNP: coherent walks
    expect(field(q1, 24, 24)).toBe(0); // PGSNP
    expect(Number(q2 & ~0xfffn)).toBe(dom.pt.rootPhys); // FLPTR
    expect(field(q2, 3, 2)).toBe(0); // FLPM: 4-level
  });

  it('DMA through the first-stage table translates; A/D are preset so nothing is written; faults 0x85 (write to read-only) and 0x71 (not present)', () => {
    const { sys, hw, dev, dom } = fsSetup();
    map(dom, 0x10000, 0x8000_0000, 0x2000);
    map(dom, 0x40000, 0x9000_0000, SZ_4K, SZ_4K, IOMMU_READ);
    const leafBefore = dom.pt.walk(0x10000).at(-1)!.raw;
    expect(sys.driver.dma(dev, 0, 0x10000, 64, false)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x11000, 64, true)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x40000, 64, false)).toBe(0);
    expect(hw.counters.pte_write_atomic).toBe(0);
    expect(dom.pt.walk(0x10000).at(-1)!.raw).toBe(leafBefore);
    // The IOTLB holds the translation under the (DID, PASID) tag of first-stage entries.
    const tag = hw.firstStageTag(dom.tag, 0);
    expect(hw.isFirstStageTag(tag)).toBe(true);
    expect(hw.didOfTag(tag)).toBe(dom.tag);
    expect(hw.iotlb.entries()).toContainEqual(expect.objectContaining({ tag, iova: 0x10000, oa: 0x8000_0000 }));

    expect(sys.driver.dma(dev, 0, 0x40000, 8, true)).toBe(-ERRNO.EACCES);
    expect(sys.driver.dma(dev, 0, 0x7000_0000, 8, false)).toBe(-ERRNO.EFAULT);
    const recs = hw.faultRecords.toArray();
    expect(recs.map((r) => r.code)).toEqual([SM_FAULT.NO_WRITE, SM_FAULT.FL_NOT_PRESENT]);
    expect(recs[1]!.name).toBe('SM: Present bit in first-level paging entry is clear');
    const frcd = BigInt('0x' + recs[1]!.raw[1]);
    expect(field(frcd, 39, 32)).toBe(0x71); // FR
    expect(field(frcd, 15, 0)).toBe(0x10); // SID
    expect(field(frcd, 31, 31)).toBe(0); // PP: request without PASID
    expect(BigInt('0x' + recs[1]!.raw[0])).toBe(0x7000_0000n); // FI
  });

  it('iotlb_sync issues QI_EIOTLB (page-selective-within-PASID: DID, PASID, address + AM, IH) and a wait; ATS devices get QI_DIOTLB (RID_PASID)', () => {
    const { sys, hw, dom } = fsSetup({}, { ats: true });
    const c0 = hw.commands.length;
    dom.ops.iotlbSync(dom, { start: 0x3000, end: 0x4fff, pgsize: SZ_4K, freelist: [], queued: false });
    expect(cmdNames(sys, c0)).toEqual(['QI_EIOTLB_PSI', 'QI_DIOTLB', 'QI_IWD']);
    const cmds = hw.commands.toArray();
    const p = cmds[c0]!;
    expect(p.opcode).toBe(QI.EIOTLB);
    expect(p.fields).toMatchObject({ type: 6, gran: 3, did: dom.tag, pasid: 0, addr: 0, am: 3, ih: true });
    const q0 = BigInt('0x' + p.raw[0]);
    const q1 = BigInt('0x' + p.raw[1]);
    expect(qiType(q0)).toBe(0x6);
    expect(field(q0, 31, 16)).toBe(dom.tag);
    expect(field(q0, 51, 32)).toBe(0);
    expect(field(q1, 5, 0)).toBe(3); // AM
    expect(field(q1, 6, 6)).toBe(1); // IH: only leaves changed (no freed table pages)
    expect(cmds[c0 + 1]!.fields).toMatchObject({ sid: 0x10, addr: 0x3000, s: true }); // 8 pages at 0: size in the low address bits
    expect(hw.counters.inv_iotlb).toBeGreaterThan(0);

    // Freed page-table pages: IH = 0 (intel_iommu_tlb_sync passes iommu_pages_list_empty()).
    const g = iotlbGatherInit();
    map(dom, 0x20_0000, 0x1000_1000, SZ_2M); // OA not 2M-aligned: 512 4K leaves in one table
    expect(dom.ops.unmapPages(dom, 0x20_0000, SZ_2M, 1, g)).toBe(SZ_2M);
    expect(g.freelist.length).toBe(1); // the now-empty level-0 table
    const c1 = hw.commands.length;
    dom.ops.iotlbSync(dom, g);
    expect(hw.commands.toArray()[c1]!.fields).toMatchObject({ addr: 0x20_0000, am: 9, ih: false });

    // Unaligned range whose ends share no bit above the mask (calculate_psi_aligned_address
    // returns MAX_AGAW_PFN_WIDTH) and flush_iotlb_all: the PASID-selective form.
    const c2 = hw.commands.length;
    dom.flushIotlbAll();
    expect(cmdNames(sys, c2)).toEqual(['QI_EIOTLB_PASID', 'QI_DIOTLB', 'QI_IWD']);
    expect(hw.commands.toArray()[c2]!.fields).toMatchObject({ gran: 2, did: dom.tag, pasid: 0 });
    // Large PSI: first stage has no CAP.MAMV limit (second stage falls back to DSI above 18).
    const c3 = hw.commands.length;
    dom.ops.iotlbSync(dom, { start: 0, end: 2 ** 40 - 1, pgsize: SZ_4K, freelist: [], queued: false });
    expect(hw.commands.toArray()[c3]!.fields).toMatchObject({ gran: 3, am: 28, addr: 0 });
  });

  it('first-stage IOTLB entries leave only by QI_EIOTLB of their (DID, PASID): a DSI for the DID leaves them stale', () => {
    const { sys, hw, dev, dom } = fsSetup();
    map(dom, 0x50000, 0x8800_0000, SZ_4K);
    expect(sys.driver.dma(dev, 0, 0x50000, 8, false)).toBe(0);
    const g = iotlbGatherInit();
    expect(dom.ops.unmapPages(dom, 0x50000, SZ_4K, 1, g)).toBe(SZ_4K);
    // No flush yet: the cached translation still serves the device.
    expect(sys.driver.dma(dev, 0, 0x50000, 8, false)).toBe(0);
    hw.qiSubmitSync([qiIotlb(GRAN.DOMAIN, dom.tag, 0, 0)]);
    expect(sys.driver.dma(dev, 0, 0x50000, 8, false)).toBe(0);
    // A P_IOTLB for another PASID does not touch it either.
    hw.qiSubmitSync([qiPiotlb(dom.tag, 5, 0x50000, 0, false)]);
    expect(sys.driver.dma(dev, 0, 0x50000, 8, false)).toBe(0);
    dom.ops.iotlbSync(dom, g);
    expect(sys.driver.dma(dev, 0, 0x50000, 8, false)).toBe(-ERRNO.EFAULT);
    expect(hw.faultRecords.toArray().at(-1)!.code).toBe(SM_FAULT.FL_NOT_PRESENT);
  });

  it('no dirty tracking on first stage: no dirty ops, and a DIRTY_TRACKING domain is second stage with SSADE', () => {
    const { sys, dev, dom } = fsSetup();
    expect(dom.dirtyOps).toBeNull();
    expect(dom.pt.caps.supportsDirty).toBe(false);
    // The unit still reports dirty tracking: it is a property of second-stage domains.
    expect(sys.driver.capable(dev, 'IOMMU_CAP_DIRTY_TRACKING')).toBe(true);
    const dd = sys.driver.domainAllocPagingFlags(dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING) as PagingDomain;
    expect(dd.ops.attachDev(dd, dev)).toBe(0);
    expect(dd.dirtyOps!.setDirtyTracking(dd, true)).toBe(0);
    const [q0] = pasidEntry(sys, 0x10);
    expect(field(q0, 8, 6)).toBe(2); // PGTT: second stage
    expect(field(q0, 9, 9)).toBe(1); // SSADE
  });

  it('non-coherent walks (ECAP.SMPWC = 0): the x86_64 table is DMA-incoherent, PWSNP is clear, DMA still translates', () => {
    const { sys, hw, dev, dom } = fsSetup({ coherent: false });
    expect(dom.pt.formatName).toBe('x86_64');
    expect(dom.pt.incoherent).not.toBeNull();
    const [, q1] = pasidEntry(sys, 0x10);
    expect(field(q1, 23, 23)).toBe(0);
    map(dom, 0x60000, 0x8000_0000, SZ_4K);
    expect(hw.counters.pt_cache_flush).toBeGreaterThan(0);
    expect(sys.driver.dma(dev, 0, 0x60000, 8, true)).toBe(0);
  });

  it('caching mode does not force iotlb_sync_map on first stage; a new entry gets PASID-cache + QI_EIOTLB (pasid_flush_caches)', () => {
    const sys = makeSystem('intel', { caps: { cachingMode: true } });
    const dev = sys.addDevice({ sid: 0x10 });
    const dom = sys.driver.domainAllocPagingFlags(dev, 0) as PagingDomain;
    expect(dom.pt.formatName).toBe('x86_64');
    const c0 = sys.hw!.commands.length;
    expect(dom.ops.attachDev(dom, dev)).toBe(0);
    expect(cmdNames(sys, c0)).toEqual(['QI_PC_PASID_SEL', 'QI_IWD', 'QI_EIOTLB_PASID', 'QI_IWD']);
    map(dom, 0x8000, 0x1000, SZ_4K);
    const c1 = sys.hw!.commands.length;
    expect(dom.ops.iotlbSyncMap(dom, 0x8000, SZ_4K)).toBe(0);
    expect(sys.hw!.commands.length).toBe(c1);
  });

  it('replacing and tearing down entries flush by the old PGTT: DSI for a second-stage entry, QI_EIOTLB for a first-stage one', () => {
    const sys = makeSystem('intel');
    const dev = sys.addDevice({ sid: 0x10, ats: true });
    const ss = sys.driver.domainAllocPagingFlags(dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING) as PagingDomain;
    const fs = sys.driver.domainAllocPagingFlags(dev, 0) as PagingDomain;
    expect(ss.ops.attachDev(ss, dev)).toBe(0);
    const c0 = sys.hw!.commands.length;
    expect(fs.ops.attachDev(fs, dev)).toBe(0);
    expect(cmdNames(sys, c0)).toEqual(['QI_PC_PASID_SEL', 'QI_IWD', 'QI_IOTLB_DSI', 'QI_IWD', 'QI_DIOTLB', 'QI_IWD']);
    expect(sys.hw!.commands.toArray()[c0 + 2]!.fields).toMatchObject({ did: ss.tag });
    const [q0, , q2] = pasidEntry(sys, 0x10);
    expect(field(q0, 8, 6)).toBe(1);
    expect(Number(q2 & ~0xfffn)).toBe(fs.pt.rootPhys);
    const c1 = sys.hw!.commands.length;
    expect(ss.ops.attachDev(ss, dev)).toBe(0);
    expect(cmdNames(sys, c1)).toEqual(['QI_PC_PASID_SEL', 'QI_IWD', 'QI_EIOTLB_PASID', 'QI_IWD', 'QI_DIOTLB', 'QI_IWD']);
    expect(sys.hw!.commands.toArray()[c1 + 2]!.fields).toMatchObject({ did: fs.tag, pasid: 0 });
    const [q0b, , q2b] = pasidEntry(sys, 0x10);
    expect(field(q0b, 8, 6)).toBe(2);
    expect(q2b).toBe(0n); // pasid_clear_entry: no stale FLPTR
    expect(fs.ops.attachDev(fs, dev)).toBe(0);
    const c2 = sys.hw!.commands.length;
    expect(sys.driver.blockDevice(dev)).toBe(0);
    expect(cmdNames(sys, c2)).toEqual(['QI_PC_PASID_SEL', 'QI_IWD', 'QI_EIOTLB_PASID', 'QI_IWD', 'QI_DIOTLB', 'QI_IWD']);
    expect(sys.driver.dma(dev, 0, 0, 8, false)).toBe(-ERRNO.EFAULT);
    expect((sys.hw as VtdIommuHw).faultRecords.toArray().at(-1)!.code).toBe(SM_FAULT.PASID_NOT_PRESENT);
  });

  it('without CAP.FL1GP the domain has no 1 GiB size and no 1 GiB leaf is installed; attach refuses a 1G domain from another unit', () => {
    const { sys, dev, dom } = fsSetup({ fl1gp: false });
    expect(((sys.hw as VtdIommuHw).cap >> 56n) & 1n).toBe(0n);
    expect(dom.pgsizeBitmap).toBe(SZ_4K | SZ_2M);
    const mapped = { bytes: 0 };
    expect(dom.ops.mapPages(dom, SZ_1G, 0x1_0000_0000, SZ_2M, 1024, IOMMU_READ, mapped)).toBe(0);
    expect(mapped.bytes).toBe(2 * SZ_1G);
    const leaves = dom.pt.leaves();
    expect(leaves.every((l) => l.size === SZ_2M)).toBe(true);
    expect(leaves.length).toBe(1024);
    expect(sys.driver.dma(dev, 0, SZ_1G + 0x1234, 8, false)).toBe(0);
    // A domain from a unit with FL1GP cannot be attached here (paging_domain_compatible_first_stage).
    const other = makeSystem('intel');
    const big = other.driver.domainAllocPagingFlags(other.addDevice({ sid: 1 }), 0) as PagingDomain;
    expect(big.pgsizeBitmap & SZ_1G).toBe(SZ_1G);
    expect((sys.driver as VtdIommuDriver).attachDev(big, dev)).toBe(-ERRNO.EINVAL);
    // With FL1GP a 1 GiB-aligned range becomes one 1 GiB leaf.
    const { dom: d1 } = fsSetup();
    expect(d1.ops.mapPages(d1, SZ_1G, 0x1_0000_0000, SZ_2M, 512, IOMMU_READ, { bytes: 0 })).toBe(0);
    expect(d1.pt.leaves().map((l) => l.size)).toEqual([SZ_1G]);
  });

  it('PASID entry checks of the walk: FLPTR not a first-stage table → 0x70, FLPM = 5-level without CAP.FL5LP → 0x5b; QI_DEIOTLB decodes SID and PASID', () => {
    const { sys, hw, dev, dom } = fsSetup();
    const drv = sys.driver as VtdIommuDriver;
    const dir = (drv.devices.get(0x10) as unknown as { pasidDir: number }).pasidDir;
    const pa = hw.pasidEntryAddr(dir, 0, false);
    hw.writeQword(pa + 16, BigInt(dom.pt.rootPhys + 0x1000), 'test');
    hw.qiSubmitSync([qiIotlb(GRAN.GLOBAL, 0, 0, 0), [BigInt(QI.PC) | (3n << 4n), 0n]]);
    expect(sys.driver.dma(dev, 0, 0, 8, false)).toBe(-ERRNO.EFAULT);
    expect(hw.faultRecords.toArray().at(-1)!.code).toBe(SM_FAULT.FL_ACCESS);
    hw.writeQword(pa + 16, BigInt(dom.pt.rootPhys) | (1n << 2n), 'test');
    hw.qiSubmitSync([[BigInt(QI.PC) | (3n << 4n), 0n]]);
    expect(sys.driver.dma(dev, 0, 0, 8, false)).toBe(-ERRNO.EFAULT);
    expect(hw.faultRecords.toArray().at(-1)!.code).toBe(SM_FAULT.INVALID_PASID_ENTRY);

    const c0 = hw.commands.length;
    hw.qiSubmitSync([qiDevIotlbPasid(0x10, 0, 7, 32, 0x4000, 2)]);
    const d = hw.commands.toArray()[c0]!;
    expect(d.name).toBe('QI_DEIOTLB');
    expect(d.fields).toMatchObject({ sid: 0x10, pasid: 7, s: true, addr: 0x5000 });
  });
});
