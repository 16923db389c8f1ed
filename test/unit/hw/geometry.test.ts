/**
 * Mainline table geometry per vendor: AMD-Vi v1 starts at 3 levels and grows its top
 * (PT_FEAT_DYNAMIC_TOP / increase_address_space); VT-d second-stage depth from MGAW and SAGAW
 * per kernel; SMMUv3 page sizes 4K|2M|1G without the contiguous bit (arm_lpae_restrict_pgsizes),
 * checked against the leaves Linux wrote in the smmuv3-nvme fixture.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimClock } from '../../../core/base/clock';
import { iommuMap, iommuUnmap, newIotlbGather } from '../../../core/iommu/iommu';
import { secondStageLevels } from '../../../core/iommu/intel/driver';
import { createPlatform } from '../../../core/iommufd/platform';
import type { GenericPt } from '../../../core/pt';
import { IOMMU_READ, IOMMU_WRITE } from '../../../core/pt/types';
import { parseFtrace } from '../../../core/trace/ftrace';
import { NULL_RECORDER } from '../../../core/trace/types';
import { PE } from '../../../core/hw/intel/regs';
import type { AmdIommuHw } from '../../../core/hw/amd/model';
import { cmdNames, map, setup } from './helpers';

const GiB = 2 ** 30;

describe('AMD-Vi v1: 3 levels at allocation, top grown on demand', () => {
  it('a new domain has 3 levels (512 GiB); mapping above grows the top, rewrites and flushes each DTE', () => {
    const { sys, dev, dom } = setup('amd');
    expect(dom.pt.topLevel + 1).toBe(3);
    expect(dom.pt.vaLimit).toBe(512 * GiB);
    expect(dom.geometry.apertureEnd).toBe(2 ** 53 - 1); // HATS 6 levels, capped at 2^53 here
    const dev2 = sys.addDevice({ sid: 0x20 });
    expect(dom.ops.attachDev(dom, dev2)).toBe(0);
    map(dom, 0x1000, 0x10_0000, 0x1000);
    const n0 = sys.hw!.commands.total;
    map(dom, 600 * GiB, 0x20_0000, 0x1000); // above 512 GiB: 4 levels
    expect(dom.pt.topLevel + 1).toBe(4);
    // change_top: per device INVALIDATE_DEVTAB_ENTRY, one COMPLETION_WAIT.
    expect(cmdNames(sys, n0 - (sys.hw!.commands.total - sys.hw!.commands.toArray().length))).toEqual(['INVALIDATE_DEVTAB_ENTRY', 'INVALIDATE_DEVTAB_ENTRY', 'COMPLETION_WAIT']);
    const q0 = (sys.hw as AmdIommuHw).readDte(dev.sid)[0]!;
    expect(Number((q0 >> 9n) & 7n)).toBe(4); // DTE Mode
    expect(Number(q0 & 0x000f_ffff_ffff_f000n)).toBe(dom.pt.rootPhys);
    // Both old and new ranges translate for both devices.
    for (const d of [dev, dev2]) {
      expect(sys.driver.dma(d, 0, 0x1000, 8, true)).toBe(0);
      expect(sys.driver.dma(d, 0, 600 * GiB, 8, true)).toBe(0);
    }
    map(dom, 2 ** 50, 0x30_0000, 0x1000); // 5 levels
    expect(dom.pt.topLevel + 1).toBe(5);
    expect(sys.driver.dma(dev, 0, 2 ** 50, 8, false)).toBe(0);
    expect((dom.pt as GenericPt).topGrowths).toBe(2);
  });

  it('a 16 GiB guest stays at 3 levels, so the pre-6.19 per-leaf walk reads 3 entries per leaf', () => {
    const { dom } = setup('amd', { kernel: '6.7-6.18' });
    map(dom, 0, 0x1000_0000, 16 * GiB, 2 ** 30);
    expect(dom.pt.topLevel + 1).toBe(3);
  });
});

describe('VT-d second-stage depth per kernel', () => {
  it.each([
    ['6.19', 48, [4], 4],
    ['6.7-6.18', 48, [4], 4],
    ['6.19', 48, [4, 5], 4], // compute_vasz_lg2_ss: MGAW 48 → 48-bit, 4 levels
    ['6.7-6.18', 48, [4, 5], 5], // agaw: the deepest SAGAW at or below 5-level
    ['6.19', 57, [4, 5], 5],
    ['6.19', 39, [3], 3], // QEMU 7.2 default aw-bits 39
    ['6.7-6.18', 39, [3], 3],
    ['6.19', 39, [4], 4], // a 4-level table with a 39-bit IOVA width
  ] as const)('kernel %s, MGAW %i, SAGAW %j → %i levels', (kernel, mgaw, sagaw, levels) => {
    const bits = sagaw.reduce((m, l) => m | (1 << (l - 2)), 0);
    expect(secondStageLevels(kernel, mgaw, bits)).toBe(levels);
    const { sys, dom } = setup('intel', { kernel, caps: { mgaw, sagaw: bits } });
    expect(dom.pt.topLevel + 1).toBe(levels);
    // The PASID entry's AW names the depth (AW = levels - 2).
    const vtd = sys.hw as unknown as { pasidEntryAddr(d: number, p: number, a: boolean): number; mem: { read64(pa: number): bigint } };
    const devs = (sys.driver as unknown as { devices: Map<number, { pasidDir: number }> }).devices;
    const pe = vtd.mem.read64(vtd.pasidEntryAddr([...devs.values()][0]!.pasidDir, 0, false));
    expect(Number((pe >> BigInt(PE.AW_LO)) & 7n)).toBe(levels - 2);
  });
});

describe('SMMUv3 page sizes: 4K | 2M | 1G, no contiguous bit', () => {
  it('the domain offers 4K|2M|1G; 64 KiB is sixteen 4 KiB leaves, 2 MiB one block', () => {
    const { dom } = setup('smmuv3');
    expect(dom.pgsizeBitmap).toBe(2 ** 12 + 2 ** 21 + 2 ** 30);
    map(dom, 0x10_0000, 0x4000_0000, 0x1_0000);
    map(dom, 0x4000_0000, 0x8000_0000, 2 ** 21);
    const sizes = dom.pt.leaves().map((l) => l.size);
    expect(sizes).toEqual([...new Array(16).fill(4096), 2 ** 21]);
  });

  it('replaying the smmuv3-nvme fixture writes the leaf descriptors QEMU walked (no bit 52)', () => {
    const FIX = new URL('../../fixtures/', import.meta.url);
    const trace = parseFtrace(readFileSync(new URL('smmuv3-nvme.trace.txt', FIX), 'utf8'));
    const xlate = readFileSync(new URL('smmuv3-nvme.qemu-xlate.txt', FIX), 'utf8');
    // QEMU's level-3 (page) descriptors of every walk in the xlate file.
    const qemu = new Set<string>();
    for (const m of xlate.matchAll(/smmu_ptw_level level=3 iova=0x[0-9a-f]+ .*=> pte=0x([0-9a-f]+)/g)) qemu.add(m[1]!);
    expect(qemu.size).toBeGreaterThan(100);
    for (const d of qemu) expect(BigInt(`0x${d}`) & (1n << 52n)).toBe(0n);
    const platform = createPlatform('smmuv3', { clock: new SimClock(), recorder: NULL_RECORDER });
    const dev = platform.addDevice({ sid: 0x10 });
    const dom = platform.system.driver.domainAllocPagingFlags(dev, 0);
    if (typeof dom === 'number') throw new Error(String(dom));
    expect(dom.ops.attachDev(dom, dev)).toBe(0);
    const ours = new Set<string>();
    let cont = 0;
    for (const e of trace.events) {
      if (e.event === 'map') {
        expect(iommuMap(dom, e.iova, e.paddr, e.size, IOMMU_READ | IOMMU_WRITE, false)).toBe(0);
        for (let a = e.iova; a < e.iova + e.size; a += 4096) {
          const leaf = dom.pt!.walk(a).at(-1)!;
          if (BigInt(`0x${leaf.raw}`) & (1n << 52n)) cont++;
          ours.add(BigInt(`0x${leaf.raw}`).toString(16));
        }
      } else if (e.event === 'unmap') {
        const g = newIotlbGather();
        iommuUnmap(dom, e.iova, e.size, g);
        dom.ops.iotlbSync(dom, g);
      }
    }
    expect(cont).toBe(0);
    // ftrace's map event has no prot: a DMA_TO_DEVICE mapping (AP[2] read-only) and the MSI
    // doorbell (IOMMU_MMIO | IOMMU_NOEXEC: AttrIndx, SH, XN) are replayed read-write
    // cacheable. Those may differ in exactly those bits; everything else must be identical.
    const PROT_BITS = (1n << 7n) | (7n << 2n) | (3n << 8n) | (3n << 53n);
    const oursMasked = new Set([...ours].map((d) => (BigInt(`0x${d}`) & ~PROT_BITS).toString(16)));
    const exact = [...qemu].filter((d) => ours.has(d));
    const protOnly = [...qemu].filter((d) => !ours.has(d) && oursMasked.has((BigInt(`0x${d}`) & ~PROT_BITS).toString(16)));
    expect(exact.length + protOnly.length).toBe(qemu.size);
    expect(protOnly.length).toBeLessThanOrEqual(2);
    expect(exact.length / qemu.size).toBeGreaterThan(0.99);
  });
});
