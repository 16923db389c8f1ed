import { describe, expect, it } from 'vitest';
import { createPtIommu, TablePool } from '../../../core/pt';
import { HW_ACCESS, IOMMU_READ, IOMMU_WRITE } from '../../../core/pt/types';

// Regression: `lo | bit` is a signed int32 in JS; an OA with bit 31 set made every hardware
// access look like an update, so AMD/VT-d counted an atomic A/D write on every IOTLB miss.
describe('hwAccess on leaves whose output address has bit 31 set', () => {
  for (const f of ['amdv1', 'vtdss', 'armv8'] as const) {
    it(`${f}: the second write to a dirty leaf needs no update`, () => {
      const pt = createPtIommu(f, { pool: new TablePool() });
      expect(pt.mapPages(0x4000_0000, 0x3_8000_2000, 4096, IOMMU_READ | IOMMU_WRITE)).toBe(0);
      const ref = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
      expect(pt.lookupLeaf(0x4000_0000, ref)).toBe(true);
      pt.hwAccess(ref, true, true, true);
      if (f !== 'armv8') expect(pt.leafDirty(ref)).toBe(true); // armv8 without DBM records no dirty state
      expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.OK);
      expect(pt.iovaToPhys(0x4000_0000)).toBe(0x3_8000_2000);
    });
  }
});
