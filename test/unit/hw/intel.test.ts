import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import type { VtdIommuHw } from '../../../core/hw/intel/model';
import { SM_FAULT } from '../../../core/hw/intel/regs';
import type { PagingDomain } from '../../../core/iommu/paging-domain';
import type { VtdIommuDriver } from '../../../core/iommu/intel/driver';
import { psiAligned } from '../../../core/iommu/intel/driver';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../../core/uapi/iommufd';
import { IOMMU_READ } from '../../../core/pt/types';
import { cmdNames, makeSystem, map, setup } from './helpers';

const raw = (dom: PagingDomain, iova: number): bigint => BigInt('0x' + dom.pt.walk(iova).at(-1)!.raw);

function pasidEntryQ0(sys: ReturnType<typeof makeSystem>, sid: number): bigint {
  const drv = sys.driver as VtdIommuDriver;
  const dir = (drv.devices.get(sid) as unknown as { pasidDir: number }).pasidDir;
  return drv.hw.mem.read64(drv.hw.pasidEntryAddr(dir, 0, false));
}

describe('Intel VT-d', () => {
  it('set_dirty_tracking: SSADE (PASID entry qword 0 bit 9), then PASID-cache, DSI IOTLB, device-TLB, each with a wait', () => {
    const { sys, dom } = setup('intel');
    const atsDev = sys.addDevice({ sid: 0x18, ats: true });
    expect(dom.ops.attachDev(dom, atsDev)).toBe(0);
    const hw = sys.hw as VtdIommuHw;
    const c0 = hw.commands.length;
    const w0 = hw.counters.table_entry_write;
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(cmdNames(sys, c0)).toEqual([
      'QI_PC_PASID_SEL', 'QI_IWD', 'QI_IOTLB_DSI', 'QI_IWD', // device 0x10 (no ATS)
      'QI_PC_PASID_SEL', 'QI_IWD', 'QI_IOTLB_DSI', 'QI_IWD', 'QI_DIOTLB', 'QI_IWD', // device 0x18 (ATS)
    ]);
    const pc = hw.commands.toArray()[c0]!;
    expect(pc.fields).toMatchObject({ did: dom.tag, pasid: 0 });
    expect(hw.counters.table_entry_write - w0).toBe(2);
    expect((pasidEntryQ0(sys, 0x10) >> 9n) & 1n).toBe(1n);
    expect((pasidEntryQ0(sys, 0x10) >> 6n) & 7n).toBe(2n); // PGTT = second stage
    const c1 = hw.commands.total;
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0); // unchanged: no work
    expect(hw.commands.total).toBe(c1);
  });

  it('DMA writes set second-stage D (bit 9) and A (bit 8) only with SSADE', () => {
    const { sys, dev, dom } = setup('intel');
    map(dom, 0x10000, 0x80000000, 0x2000);
    expect(sys.driver.dma(dev, 0, 0x10000, 8, true)).toBe(0);
    expect(raw(dom, 0x10000) & (3n << 8n)).toBe(0n);
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x11000, 8, true)).toBe(0);
    expect(raw(dom, 0x11000) & (3n << 8n)).toBe(3n << 8n);
  });

  it('faults go to the fault recording registers with scalable-mode reasons; PFO on overflow', () => {
    const { sys, dev, dom } = setup('intel');
    map(dom, 0x4000, 0x1000, 0x1000, 0x1000, IOMMU_READ);
    expect(sys.driver.dma(dev, 0, 0x9000, 4, false)).toBe(-ERRNO.EFAULT);
    expect(sys.driver.dma(dev, 0, 0x4000, 4, true)).toBe(-ERRNO.EACCES);
    const blocked = sys.addDevice({ sid: 0x40 });
    expect(sys.driver.dma(blocked, 0, 0x4000, 4, true)).toBe(-ERRNO.EFAULT);
    const hw = sys.hw as VtdIommuHw;
    const ev = hw.faultRecords.toArray();
    // A device never attached has no PASID table yet: directory entry not present (0x51).
    expect(ev.map((e) => e.code)).toEqual([SM_FAULT.SL_RW, SM_FAULT.NO_WRITE, SM_FAULT.PASID_DIR_NOT_PRESENT]);
    // Blocking an attached device tears its entry down: PASID entry P clear (0x59).
    expect(sys.driver.blockDevice(dev)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x4000, 4, false)).toBe(-ERRNO.EFAULT);
    expect(hw.faultRecords.toArray()[3]!.code).toBe(SM_FAULT.PASID_NOT_PRESENT);
    const q1 = BigInt('0x' + ev[0]!.raw[1]);
    expect(Number((q1 >> 32n) & 0xffn)).toBe(0x79); // FR
    expect(Number(q1 & 0xffffn)).toBe(0x10); // SID
    expect((q1 >> 62n) & 1n).toBe(1n); // T: read
    expect(q1 >> 63n).toBe(1n); // F
    for (let i = 0; i < 10; i++) sys.driver.dma(dev, 0, 0x100000, 4, false);
    expect(hw.faultRecords.length).toBe(8); // CAP.NFR + 1 = 8 records
    expect(hw.faultRecords.overflow).toBe(true);
  });

  it('first-stage-only hardware and missing SLADS refuse dirty tracking with -EOPNOTSUPP', () => {
    const fsOnly = makeSystem('intel', { caps: { slts: false } });
    const d = fsOnly.addDevice({ sid: 1 });
    expect(fsOnly.driver.domainAllocPagingFlags(d, IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).toBe(-ERRNO.EOPNOTSUPP);
    const noSlads = makeSystem('intel', { caps: { slads: false } });
    const d2 = noSlads.addDevice({ sid: 1 });
    expect(noSlads.driver.domainAllocPagingFlags(d2, IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).toBe(-ERRNO.EOPNOTSUPP);
    expect(noSlads.driver.capable(d2, 'IOMMU_CAP_DIRTY_TRACKING')).toBe(false);
    const plain = noSlads.driver.domainAllocPagingFlags(d2, 0) as PagingDomain;
    expect(plain.dirtyOps).toBeNull();
    const info = noSlads.driver.hwInfo(d2);
    expect(info.outDataType).toBe(1);
    expect((info.data.ecap_reg_hi! >>> (45 - 32)) & 1).toBe(0);
    expect(info.capabilities).toBe(0);
  });

  it('iotlb_sync issues one PSI with the aligned address mask (DSI above MAMV) and one wait', () => {
    expect(psiAligned(0x3000, 0x2000)).toEqual({ addr: 0, mask: 3 });
    expect(psiAligned(0x200000, 0x200000)).toEqual({ addr: 0x200000, mask: 9 });
    const { sys, dom } = setup('intel', {}, { ats: true });
    const c0 = sys.hw!.commands.length;
    dom.ops.iotlbSync(dom, { start: 0x3000, end: 0x4fff, pgsize: 4096, freelist: [], queued: false });
    expect(cmdNames(sys, c0)).toEqual(['QI_IOTLB_PSI', 'QI_DIOTLB', 'QI_IWD']);
    expect(sys.hw!.commands.toArray()[c0]!.fields).toMatchObject({ addr: 0, am: 3, did: dom.tag });
    const c1 = sys.hw!.commands.length;
    dom.ops.iotlbSync(dom, { start: 0, end: 2 ** 40 - 1, pgsize: 4096, freelist: [], queued: false });
    expect(cmdNames(sys, c1)[0]).toBe('QI_IOTLB_DSI');
  });

  it('caching mode (CAP.CM) on a second-stage domain: a new PASID entry and every map are flushed', () => {
    // QEMU's caching-mode vIOMMU without first-stage support (ECAP.FLTS = 0): plain domains are second stage.
    const sys = makeSystem('intel', { caps: { cachingMode: true, flts: false } });
    const dev = sys.addDevice({ sid: 0x10 });
    const dom = sys.driver.domainAllocPagingFlags(dev, 0) as PagingDomain;
    const c0 = sys.hw!.commands.length;
    expect(dom.ops.attachDev(dom, dev)).toBe(0);
    expect(cmdNames(sys, c0)).toEqual(['QI_PC_PASID_SEL', 'QI_IWD', 'QI_IOTLB_DSI', 'QI_IWD']);
    map(dom, 0x8000, 0x1000, 0x1000);
    const c1 = sys.hw!.commands.length;
    expect(dom.ops.iotlbSyncMap(dom, 0x8000, 0x1000)).toBe(0);
    expect(cmdNames(sys, c1)).toEqual(['QI_IOTLB_PSI', 'QI_IWD']);
    const plain = setup('intel');
    const c2 = plain.sys.hw!.commands.length;
    expect(plain.dom.ops.iotlbSyncMap(plain.dom, 0, 0x1000)).toBe(0);
    expect(plain.sys.hw!.commands.length).toBe(c2);
  });
});
