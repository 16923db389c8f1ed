import { describe, expect, it } from 'vitest';
import { createPtIommu, TablePool } from '../../../core/pt';
import { iotlbGatherInit, iotlbGatherReleaseFreelist } from '../../../core/pt/gather';
import { IOMMU_READ, IOMMU_WRITE } from '../../../core/pt/types';

const RW = IOMMU_READ | IOMMU_WRITE;
const MB2 = 2 * 1024 * 1024;

// Runs of single 4 KiB maps (iommufd's batch_iommu_map_small) reuse the last level-0 table;
// the result must equal one large map, also after tables were freed and reused in between.
describe('single-page map runs', () => {
  for (const f of ['amdv1', 'vtdss', 'armv8', 'x86_64'] as const) {
    it(`${f}: page-by-page equals one map, across table frees`, () => {
      const pool = new TablePool();
      const pt = createPtIommu(f, { pool });
      for (let a = 0; a < 4 * MB2; a += 4096) expect(pt.mapPages(a, 0x8000_0000 + 2 * a, 4096, RW)).toBe(0);
      expect(pt.mapPages(MB2 + 4096, 0, 4096, RW)).toBe(-98); // -EADDRINUSE over an existing leaf
      // Free the level-0 tables of the last two 2 MiB ranges (including the one the previous
      // map wrote into), then map them again page by page.
      const g = iotlbGatherInit();
      expect(pt.unmapPages(2 * MB2, 2 * MB2, g)).toBe(2 * MB2);
      iotlbGatherReleaseFreelist(g, pool);
      for (let a = 2 * MB2; a < 4 * MB2; a += 4096) expect(pt.mapPages(a, 0x4000_0000 + a, 4096, RW)).toBe(0);
      const pa = (a: number): number => (a < 2 * MB2 ? 0x8000_0000 + 2 * a : 0x4000_0000 + a);
      for (let a = 0; a < 4 * MB2; a += 4096) expect(pt.iovaToPhys(a)).toBe(pa(a));
      // Reference built through the full walk: alternate between 2 MiB ranges on every call,
      // so no call can reuse the previous call's level-0 table.
      const ref = createPtIommu(f, { pool: new TablePool() });
      for (let k = 0; k < 512; k++) {
        for (let r = 0; r < 4; r++) {
          const a = r * MB2 + k * 4096;
          expect(ref.mapPages(a, pa(a), 4096, RW)).toBe(0);
        }
      }
      expect(pt.tablePages()).toBe(ref.tablePages());
      // Leaf entries must be bit-identical (table entries hold allocation-order addresses).
      for (const a of [0, 4096, MB2 - 4096, MB2, 3 * MB2 + 8192]) expect(pt.walk(a).at(-1)).toEqual({ ...ref.walk(a).at(-1)!, page: pt.walk(a).at(-1)!.page, tablePhys: pt.walk(a).at(-1)!.tablePhys });
    });
  }
});
