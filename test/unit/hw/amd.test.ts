import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import { decodeInvAddress, buildInvAddress, EVENT, EVENT_FLAG } from '../../../core/hw/amd/regs';
import type { AmdIommuHw } from '../../../core/hw/amd/model';
import type { AmdIommuDriver } from '../../../core/iommu/amd/driver';
import { dteHad } from '../../../core/iommu/amd/driver';
import type { PagingDomain } from '../../../core/iommu/paging-domain';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../../core/uapi/iommufd';
import { IOMMU_READ } from '../../../core/pt/types';
import { cmdNames, makeSystem, map, readDirty, setup } from './helpers';

const raw = (dom: PagingDomain, iova: number): bigint => BigInt('0x' + dom.pt.walk(iova).at(-1)!.raw);

describe('AMD-Vi', () => {
  it('set_dirty_tracking: HAD in each DTE, one DTE flush each, then one domain flush + COMPLETION_WAIT', () => {
    const { sys, dom } = setup('amd');
    const d2 = sys.addDevice({ sid: 0x20, ats: true });
    expect(dom.ops.attachDev(dom, d2)).toBe(0);
    const hw = sys.hw as AmdIommuHw;
    const c0 = hw.commands.length;
    const w0 = hw.counters.table_entry_write;
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(cmdNames(sys, c0)).toEqual(['INVALIDATE_DEVTAB_ENTRY', 'INVALIDATE_DEVTAB_ENTRY', 'INVALIDATE_IOTLB_PAGES', 'INVALIDATE_IOMMU_PAGES', 'COMPLETION_WAIT']);
    const cmds = hw.commands.toArray().slice(c0);
    expect(cmds.map((c) => c.fields.DeviceID).slice(0, 2)).toEqual([0x10, 0x20]);
    expect(cmds[3]!.fields).toMatchObject({ DomainID: dom.tag, S: true, PDE: true, size: -1 });
    expect(hw.counters.table_entry_write - w0).toBe(2);
    expect(dteHad(hw.readDte(0x10)[0]!)).toBe(3);
    expect(dteHad(hw.readDte(0x20)[0]!)).toBe(3);
    // Redundant enable: no DTE write, no command.
    const c1 = hw.commands.total;
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(hw.commands.total).toBe(c1);
    expect(dom.dirtyOps!.setDirtyTracking(dom, false)).toBe(0);
    expect(dteHad(hw.readDte(0x10)[0]!)).toBe(0);
  });

  it('DMA writes set PTE D (bit 6) only while HAD enables it', () => {
    const { sys, dev, dom } = setup('amd');
    map(dom, 0x10000, 0x80000000, 0x2000);
    expect(sys.driver.dma(dev, 0, 0x10000, 8, true)).toBe(0);
    expect(raw(dom, 0x10000) & (1n << 6n)).toBe(0n);
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x11000, 8, false)).toBe(0);
    expect(raw(dom, 0x11000) & (3n << 5n)).toBe(1n << 5n); // read: A only
    expect(sys.driver.dma(dev, 0, 0x11000, 8, true)).toBe(0);
    expect(raw(dom, 0x11000) & (3n << 5n)).toBe(3n << 5n); // write: A and D
    expect(sys.hw!.counters.pte_write_atomic).toBe(2);
  });

  it('replicated (non-default size) pages report dirty once for the whole page', () => {
    const { sys, dev, dom } = setup('amd');
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    map(dom, 0x100000, 0x40000000, 0x10000, 0x10000); // one 64 KiB page = 16 replicated PTEs
    expect(dom.pt.walk(0x100000).at(-1)!.fields.Replicas).toBe(16);
    expect(sys.driver.dma(dev, 0, 0x101000, 64, true)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x10f000, 64, true)).toBe(0);
    // Hardware set D only in the replicas it fetched.
    expect(raw(dom, 0x101000) & (1n << 6n)).not.toBe(0n);
    expect(raw(dom, 0x102000) & (1n << 6n)).toBe(0n);
    const before = sys.stats();
    const r = readDirty(dom, 0x100000, 0x10000, true);
    expect(r).toEqual({ rc: 0, records: [[0x100000, 0x10000]] });
    // Work charged from core/pt's counters: every replica cleared atomically.
    const after = sys.stats();
    expect(after.dirty_entries_cleared! - before.dirty_entries_cleared!).toBe(16);
    expect(after.dirty_entries_read! - before.dirty_entries_read!).toBeGreaterThanOrEqual(16);
    for (let a = 0x100000; a < 0x110000; a += 0x1000) expect(raw(dom, a) & (1n << 6n)).toBe(0n);
    expect(readDirty(dom, 0x100000, 0x10000, true).records).toEqual([]);
  });

  it('faults: IO_PAGE_FAULT with RW/PR/PE flags; blocked DTE; read with tracking off is EINVAL', () => {
    const { sys, dev, dom } = setup('amd');
    map(dom, 0x4000, 0x1000, 0x1000, 0x1000, IOMMU_READ);
    expect(sys.driver.dma(dev, 0, 0x9000, 4, true)).toBe(-ERRNO.EFAULT);
    expect(sys.driver.dma(dev, 0, 0x4000, 4, true)).toBe(-ERRNO.EACCES);
    const other = sys.addDevice({ sid: 0x30 });
    expect(sys.driver.dma(other, 0, 0x4000, 4, false)).toBe(-ERRNO.EACCES); // blocked: DTE IR=IW=0
    const ev = sys.hw!.events.toArray();
    expect(ev.map((e) => [e.code, e.flags])).toEqual([
      [EVENT.IO_PAGE_FAULT, EVENT_FLAG.RW],
      [EVENT.IO_PAGE_FAULT, EVENT_FLAG.RW | EVENT_FLAG.PR | EVENT_FLAG.PE],
      [EVENT.IO_PAGE_FAULT, EVENT_FLAG.PR | EVENT_FLAG.PE],
    ]);
    const q0 = BigInt('0x' + ev[0]!.raw[0]);
    expect(Number(q0 >> 60n)).toBe(EVENT.IO_PAGE_FAULT);
    expect(Number(q0 & 0xffffn)).toBe(0x10);
    expect(Number((q0 >> 32n) & 0xffffn)).toBe(dom.tag);
    expect(ev[0]!.raw[1]).toBe('0000000000009000');
    expect(readDirty(dom, 0, 0x10000, false).rc).toBe(-ERRNO.EINVAL);
  });

  it('refuses dirty tracking without HDSup: alloc -EOPNOTSUPP, capability and hw_info say so', () => {
    const sys = makeSystem('amd', { caps: { hdsup: false } });
    const dev = sys.addDevice({ sid: 1 });
    expect(sys.driver.domainAllocPagingFlags(dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).toBe(-ERRNO.EOPNOTSUPP);
    expect(sys.driver.capable(dev, 'IOMMU_CAP_DIRTY_TRACKING')).toBe(false);
    const info = sys.driver.hwInfo(dev);
    expect(info.outDataType).toBe(4);
    expect(info.capabilities).toBe(0);
    expect(Math.floor(info.data.efr! / 2 ** 52) % 2).toBe(0);
    const ok = makeSystem('amd');
    const i2 = ok.driver.hwInfo(ok.addDevice({ sid: 1 }));
    expect(i2.capabilities).toBe(1);
    expect((i2.data.efr_hi! >>> (49 - 32)) & 1).toBe(1);
    expect((i2.data.efr_hi! >>> (52 - 32)) & 1).toBe(1);
  });

  it('INVALIDATE_IOMMU_PAGES S-bit ranges follow build_inv_address', () => {
    expect(buildInvAddress(0x1000, 0x1000)).toBe(0x1000n);
    expect(decodeInvAddress(buildInvAddress(0x3000, 0x2000))).toEqual([0, 0x7fff]);
    expect(decodeInvAddress(buildInvAddress(0x200000, 0x200000))).toEqual([0x200000, 0x3fffff]);
    expect(decodeInvAddress(buildInvAddress(0, 2 ** 60))).toEqual([0, Infinity]);
    const { sys, dom } = setup('amd');
    map(dom, 0x200000, 0x1000000, 0x200000);
    const drv = sys.driver as AmdIommuDriver;
    const c0 = drv.hw.commands.length;
    const g = { start: 0x200000, end: 0x3fffff, pgsize: 0x1000, freelist: [], queued: false };
    dom.ops.iotlbSync(dom, g);
    expect(cmdNames(sys, c0)).toEqual(['INVALIDATE_IOMMU_PAGES', 'COMPLETION_WAIT']);
    expect(drv.hw.commands.toArray()[c0]!.fields).toMatchObject({ start: 0x200000, size: 0x200000, PDE: true });
  });
});
