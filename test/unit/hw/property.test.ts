/**
 * Property test: random map / unmap+sync / DMA / read-and-clear+sync sequences on every
 * vendor. With the flushes the drivers and iommufd issue, (1) a DMA succeeds iff its page is
 * mapped (no stale IOTLB translation survives an unmap), and (2) no dirty page is lost: every
 * page written since the previous read is reported by the next read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iotlbGatherInit } from '../../../core/pt';
import { HW_VENDORS, map, readDirty, setup } from './helpers';

const PAGES = 4;
type Op = { k: 'map' | 'unmap' | 'dma' | 'read'; page: number; write: boolean };
const opArb: fc.Arbitrary<Op> = fc.record({
  k: fc.constantFrom('map', 'unmap', 'dma', 'dma', 'dma', 'read'),
  page: fc.integer({ min: 0, max: PAGES - 1 }),
  write: fc.boolean(),
}) as fc.Arbitrary<Op>;

describe.each(HW_VENDORS)('%s: random sequences keep translations and dirty state exact', (vendor) => {
  it('DMA succeeds iff mapped; no dirty page is lost with flushing', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 80 }), fc.integer({ min: 2, max: 32 }), fc.array(fc.boolean(), { minLength: PAGES, maxLength: PAGES }), (ops, entries, initial) => {
        const { sys, dev, dom } = setup(vendor, { iotlbEntries: entries });
        // iommufd's enable: clearing read + flush, then set.
        const g0 = iotlbGatherInit();
        dom.dirtyOps!.readAndClearDirty(dom, 0, PAGES * 4096, 0, { bitmap: null, gather: g0 });
        dom.ops.iotlbSync(dom, g0);
        dom.dirtyOps!.setDirtyTracking(dom, true);
        const mapped = new Set<number>();
        const written = new Set<number>();
        initial.forEach((m, p) => {
          if (!m) return;
          map(dom, p * 4096, 0x1_0000_0000 + p * 4096, 4096);
          mapped.add(p);
        });
        for (const op of ops) {
          const iova = op.page * 4096;
          if (op.k === 'map' && !mapped.has(op.page)) {
            map(dom, iova, 0x1_0000_0000 + iova, 4096);
            mapped.add(op.page);
          } else if (op.k === 'unmap' && mapped.has(op.page)) {
            const g = iotlbGatherInit();
            expect(dom.ops.unmapPages(dom, iova, 4096, 1, g)).toBe(4096);
            dom.ops.iotlbSync(dom, g);
            mapped.delete(op.page);
            written.delete(op.page);
          } else if (op.k === 'dma') {
            const rc = sys.driver.dma(dev, 0, iova + 8, 64, op.write);
            expect(rc === 0).toBe(mapped.has(op.page));
            if (rc === 0 && op.write) written.add(op.page);
          } else if (op.k === 'read') {
            const got = readDirty(dom, 0, PAGES * 4096, true).records.map(([i]) => i / 4096).sort((a, b) => a - b);
            // SMMUv3 installs new mappings writable-dirty, so fresh maps may also be reported.
            for (const p of written) expect(got).toContain(p);
            if (vendor !== 'smmuv3') expect(got).toEqual([...written].sort((a, b) => a - b));
            written.clear();
          }
        }
      }),
      { numRuns: 60, seed: 0x5eed },
    );
  });
});
