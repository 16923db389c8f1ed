/**
 * enforce_cache_coherency (include/linux/iommu.h) per vendor, and iommufd calling it at HWPT
 * allocation for devices whose driver reports IOMMU_CAP_ENFORCE_CACHE_COHERENCY:
 * AMD-Vi always (IOMMU_PTE_FC is always set); VT-d with ECAP.SC — second stage by SNP on
 * new leaves (PT_FEAT_VTDSS_FORCE_COHERENCE), first stage by PGSNP in the PASID entry;
 * SMMUv3 needs CANWBS, which is not modelled (cap false, op false).
 */
import { describe, expect, it } from 'vitest';
import type { PagingDomain } from '../../../core/iommu/paging-domain';
import type { VtdIommuDriver } from '../../../core/iommu/intel/driver';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../../core/uapi/iommufd';
import { ECAP } from '../../../core/hw/intel/regs';
import { makeSystem, map } from './helpers';
import { H as Harness } from '../iommufd/harness';

const MiB = 2 ** 20;

function domain(vendor: 'amd' | 'intel' | 'smmuv3', flags: number, caps: Record<string, boolean> = {}) {
  const sys = makeSystem(vendor, { caps });
  const dev = sys.addDevice({ sid: 0x10 });
  const dom = sys.driver.domainAllocPagingFlags(dev, flags) as PagingDomain;
  return { sys, dev, dom };
}

/** SNP field of the leaf translating iova (VT-d second stage). */
function snp(dom: PagingDomain, iova: number): boolean {
  return dom.pt.walk(iova).at(-1)!.fields.SNP === true;
}

describe('enforce_cache_coherency', () => {
  it('AMD-Vi: capable and always true', () => {
    const { sys, dev, dom } = domain('amd', 0);
    expect(sys.driver.capable(dev, 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY')).toBe(true);
    expect(dom.ops.enforceCacheCoherency!(dom)).toBe(true);
  });

  it('VT-d second stage: later leaves get SNP (bit 11), earlier ones keep theirs', () => {
    const { sys, dev, dom } = domain('intel', IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    expect(sys.driver.capable(dev, 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY')).toBe(true);
    map(dom, 0, 0x1_0000_0000, MiB);
    expect(snp(dom, 0)).toBe(false);
    expect(dom.ops.enforceCacheCoherency!(dom)).toBe(true);
    map(dom, 2 * MiB, 0x1_0020_0000, MiB);
    expect(snp(dom, 2 * MiB)).toBe(true);
    expect(snp(dom, 0)).toBe(false);
    // SNP survives a cut (the split leaf's attributes are kept).
    map(dom, 4 * MiB, 0x1_0040_0000, 2 * MiB, 2 * MiB);
    expect(dom.ops.cutMapping(dom, 4 * MiB + 4096)).toBe(0);
    expect(snp(dom, 4 * MiB + 8192)).toBe(true);
  });

  it('VT-d first stage: PGSNP (PASID entry bit 88) on attach after enforcing', () => {
    const { sys, dev, dom } = domain('intel', 0);
    expect(dom.ops.enforceCacheCoherency!(dom)).toBe(true);
    expect(dom.ops.attachDev(dom, dev)).toBe(0);
    const drv = sys.driver as VtdIommuDriver;
    const dir = (drv.devices.get(0x10) as unknown as { pasidDir: number }).pasidDir;
    const q1 = drv.hw.mem.read64(drv.hw.pasidEntryAddr(dir, 0, false) + 8);
    expect((q1 >> 24n) & 1n).toBe(1n);
    // Without enforcement the bit stays clear.
    const plain = domain('intel', 0);
    expect(plain.dom.ops.attachDev(plain.dom, plain.dev)).toBe(0);
    const d2 = plain.sys.driver as VtdIommuDriver;
    const dir2 = (d2.devices.get(0x10) as unknown as { pasidDir: number }).pasidDir;
    expect((d2.hw.mem.read64(d2.hw.pasidEntryAddr(dir2, 0, false) + 8) >> 24n) & 1n).toBe(0n);
  });

  it('VT-d without ECAP.SC: no capability, enforcement refused, no SNP', () => {
    const { sys, dev, dom } = domain('intel', IOMMU_HWPT_ALLOC_DIRTY_TRACKING, { snoopControl: false });
    expect(((sys.driver as VtdIommuDriver).hw.ecap >> BigInt(ECAP.SC)) & 1n).toBe(0n);
    expect(sys.driver.capable(dev, 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY')).toBe(false);
    expect(dom.ops.enforceCacheCoherency!(dom)).toBe(false);
    map(dom, 0, 0x1_0000_0000, MiB);
    expect(snp(dom, 0)).toBe(false);
  });

  it('SMMUv3: CANWBS is not modelled, so no capability and the op refuses', () => {
    const { sys, dev, dom } = domain('smmuv3', 0);
    expect(sys.driver.capable(dev, 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY')).toBe(false);
    expect(dom.ops.enforceCacheCoherency!(dom)).toBe(false);
  });
});

describe('iommufd enforces coherency at HWPT allocation (iommufd_hwpt_paging_alloc)', () => {
  it.each(['amd', 'intel'] as const)('%s: the auto HWPT enforces coherency; VT-d leaves mapped through the IOAS carry SNP', (vendor) => {
    const t = new Harness(vendor);
    const ioas = t.ioasAlloc();
    const { hwpt } = t.mockDomain(ioas);
    expect(t.hwpt(hwpt).enforceCacheCoherency).toBe(true);
    const uva = t.mmap(2 * MiB);
    const iova = t.map(ioas, uva, 2 * MiB);
    expect(typeof iova).toBe('number');
    const dom = t.hwpt(hwpt).domain as PagingDomain;
    if (vendor === 'intel') {
      // A plain auto HWPT is first stage (mainline): coherency is PGSNP in the PASID entry.
      expect(dom.pt.formatName).toBe('x86_64');
      const drv = dom.driver as VtdIommuDriver;
      const [vd] = [...dom.devices] as unknown as { pasidDir: number }[];
      expect((drv.hw.mem.read64(drv.hw.pasidEntryAddr(vd!.pasidDir, 0, false) + 8) >> 24n) & 1n).toBe(1n);
    }
  });

  it('SMMUv3: the device does not ask for enforcement, so the HWPT does not enforce', () => {
    const t = new Harness('smmuv3');
    const { hwpt } = t.mockDomain(t.ioasAlloc());
    expect(t.hwpt(hwpt).enforceCacheCoherency).toBe(false);
  });
});

it('VT-d second-stage PASID entry: PWSNP (bit 87) set for a coherent table, clear for a DMA-incoherent one', () => {
  for (const coherent of [true, false]) {
    const { sys, dev, dom } = domain('intel', 0, { coherent, flts: false });
    expect(dom.pt.formatName).toBe('vtdss');
    expect(dom.ops.attachDev(dom, dev)).toBe(0);
    const drv = sys.driver as VtdIommuDriver;
    const dir = (drv.devices.get(0x10) as unknown as { pasidDir: number }).pasidDir;
    const q1 = drv.hw.mem.read64(drv.hw.pasidEntryAddr(dir, 0, false) + 8);
    expect((q1 >> 23n) & 1n).toBe(coherent ? 1n : 0n);
  }
});
