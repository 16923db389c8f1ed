import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import type { SmmuV3Hw } from '../../../core/hw/smmuv3/model';
import { EVT } from '../../../core/hw/smmuv3/regs';
import type { PagingDomain } from '../../../core/iommu/paging-domain';
import type { SmmuV3Driver } from '../../../core/iommu/smmuv3/driver';
import { tlbiRanges } from '../../../core/iommu/smmuv3/driver';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../../core/uapi/iommufd';
import { IOMMU_READ } from '../../../core/pt/types';
import { cmdNames, makeSystem, map, readDirty, setup } from './helpers';

const raw = (dom: PagingDomain, iova: number): bigint => BigInt('0x' + dom.pt.walk(iova).at(-1)!.raw);
const DBM = 1n << 51n;
const AP2 = 1n << 7n;

describe('Arm SMMUv3', () => {
  it('DBM is on from domain creation: CD.HA/HD set at attach, set_dirty_tracking issues nothing', () => {
    const { sys, dev, dom } = setup('smmuv3');
    const drv = sys.driver as SmmuV3Driver;
    const cdTable = (drv.devices.get(dev.sid) as unknown as { cdTable: number }).cdTable;
    const cd0 = drv.hw.mem.read64(cdTable);
    expect((cd0 >> 43n) & 1n).toBe(1n); // HA
    expect((cd0 >> 42n) & 1n).toBe(1n); // HD
    expect(Number(cd0 >> 48n)).toBe(dom.tag); // ASID
    const c0 = drv.hw.commands.total;
    const w0 = drv.hw.counters.table_entry_write;
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(drv.hw.commands.total).toBe(c0);
    expect(drv.hw.counters.table_entry_write).toBe(w0);
  });

  it('enabling = a clearing read (writable-dirty → writable-clean); a DMA write clears AP[2] again', () => {
    const { sys, dev, dom } = setup('smmuv3');
    map(dom, 0x10000, 0x80000000, 0x1000);
    expect(raw(dom, 0x10000) & (DBM | AP2)).toBe(DBM); // installed writable-dirty
    // iommufd's enable: read_and_clear_dirty with no bitmap, one flush, then set.
    const r = readDirty(dom, 0x10000, 0x1000, true);
    expect(r.rc).toBe(0);
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(raw(dom, 0x10000) & (DBM | AP2)).toBe(DBM | AP2); // writable-clean
    expect(sys.driver.dma(dev, 0, 0x10000, 8, true)).toBe(0);
    expect(raw(dom, 0x10000) & (DBM | AP2)).toBe(DBM);
    expect(sys.hw!.counters.pte_write_atomic).toBe(1);
  });

  it('faults: F_TRANSLATION, F_PERMISSION (read-only leaf), abort STE aborts silently, C_BAD_STE for an unknown stream', () => {
    const { sys, dev, dom } = setup('smmuv3');
    map(dom, 0x4000, 0x1000, 0x1000, 0x1000, IOMMU_READ);
    expect(sys.driver.dma(dev, 0, 0x9000, 4, false)).toBe(-ERRNO.EFAULT);
    expect(sys.driver.dma(dev, 0, 0x4000, 4, true)).toBe(-ERRNO.EACCES);
    const blocked = sys.addDevice({ sid: 0x40 });
    expect(sys.driver.dma(blocked, 0, 0x4000, 4, true)).toBe(-ERRNO.EFAULT);
    const ghost = { ...blocked, sid: 0x41 };
    expect(sys.driver.dma(ghost, 0, 0x4000, 4, true)).toBe(-ERRNO.EFAULT);
    const ev = sys.hw!.events.toArray();
    expect(ev.map((e) => e.name)).toEqual(['F_TRANSLATION', 'F_PERMISSION', 'C_BAD_STE']);
    expect(ev.map((e) => e.code)).toEqual([EVT.F_TRANSLATION, EVT.F_PERMISSION, EVT.C_BAD_STE]);
    const q1 = BigInt('0x' + ev[0]!.raw[1]);
    expect((q1 >> 35n) & 1n).toBe(1n); // RnW = read
    expect(Number(BigInt('0x' + ev[0]!.raw[0]) >> 32n)).toBe(0x10); // StreamID
  });

  it('without HTTU (or only HTTU=access, or non-coherent) dirty tracking is refused', () => {
    const whatIfs: Record<string, number | boolean>[] = [{ httu: 0 }, { httu: 1 }, { coherent: false }];
    for (const caps of whatIfs) {
      const sys = makeSystem('smmuv3', { caps });
      const dev = sys.addDevice({ sid: 1 });
      expect(sys.driver.domainAllocPagingFlags(dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).toBe(-ERRNO.EOPNOTSUPP);
      expect(sys.driver.capable(dev, 'IOMMU_CAP_DIRTY_TRACKING')).toBe(false);
      expect(sys.driver.hwInfo(dev).capabilities).toBe(0);
    }
    const ok = makeSystem('smmuv3');
    const info = ok.driver.hwInfo(ok.addDevice({ sid: 1 }));
    expect(info.outDataType).toBe(2);
    expect((info.data.idr0! >>> 6) & 3).toBe(2);
    expect((info.data.idr3! >>> 11) & 3).toBe(2);
  });

  it('iotlb_sync: range TLBI_NH_VA with RIL, per-page without, TLBI_NH_ASID from 512 pages', () => {
    const total = (rs: { num: number; scale: number }[]): number => rs.reduce((s, r) => s + (r.num + 1) * 2 ** r.scale, 0);
    expect(total(tlbiRanges(0x1000, 37 * 4096))).toBe(37);
    expect(tlbiRanges(0, 0x200000)).toEqual([{ addr: 0, num: 0, scale: 9 }]);
    const { sys, dom } = setup('smmuv3');
    const c0 = sys.hw!.commands.length;
    dom.ops.iotlbSync(dom, { start: 0x1000, end: 0x3fff, pgsize: 4096, freelist: [], queued: false });
    expect(cmdNames(sys, c0)).toEqual(['CMD_TLBI_NH_VA', 'CMD_SYNC']); // 3 pages = one range (NUM 2, SCALE 0)
    expect(sys.hw!.commands.toArray()[c0]!.fields).toMatchObject({ asid: dom.tag, tg: 1, num: 2, scale: 0, leaf: true, size: 3 * 4096 });
    const noRil = setup('smmuv3', { caps: { ril: false } });
    const c1 = noRil.sys.hw!.commands.length;
    noRil.dom.ops.iotlbSync(noRil.dom, { start: 0, end: 3 * 4096 - 1, pgsize: 4096, freelist: [], queued: false });
    expect(cmdNames(noRil.sys, c1)).toEqual(['CMD_TLBI_NH_VA', 'CMD_TLBI_NH_VA', 'CMD_TLBI_NH_VA', 'CMD_SYNC']);
    const c2 = noRil.sys.hw!.commands.length;
    noRil.dom.ops.iotlbSync(noRil.dom, { start: 0, end: 512 * 4096 - 1, pgsize: 4096, freelist: [], queued: false });
    expect(cmdNames(noRil.sys, c2)).toEqual(['CMD_TLBI_NH_ASID', 'CMD_SYNC']);
    expect((sys.hw as SmmuV3Hw).counters.inv_wait).toBeGreaterThan(0);
  });
});
