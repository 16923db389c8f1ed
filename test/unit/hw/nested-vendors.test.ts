// Nesting on the vendor models through the uAPI, as a VMM with a vIOMMU drives it: a
// NEST_PARENT (+ DIRTY_TRACKING where the driver allows it) HWPT over the IOAS, the guest's
// own stage-1 table (VendorEntry.nesting: VT-d first stage, SMMUv3 S1 CD table, AMD v2),
// a nested HWPT (from the parent or a vIOMMU), replace, DMA through the 2-D walk, guest
// invalidations acting on the IOTLB, and dirty tracking on the parent per mainline.
import { describe, expect, it } from 'vitest';
import { vendorEntry } from '../../../core/iommu/registry';
import type { VendorName } from '../../../core/iommu/registry';
import type { Platform } from '../../../core/iommufd/platform';
import type { HwptNested } from '../../../core/iommufd/objects';
import { TablePool, createPtIommu } from '../../../core/pt';
import { iotlbGatherInit } from '../../../core/pt';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT } from '../../../core/uapi/iommufd';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from '../iommufd/harness';

const GPA = MOCK_APERTURE_START;
const GIOVA = 0x4000_0000;
const PAGES = 16;

/** A vendor ctx with a device on an IOAS whose [GPA, +16 pages) is mapped (guest RAM), a guest stage-1 table GIOVA -> GPA, and a nested HWPT. */
function nestedSetup(vendor: VendorName, dirty: boolean) {
  const nest = vendorEntry(vendor).nesting!;
  const h = new H(vendor);
  const ioas = h.ioasAlloc();
  const d = h.mockDomain(ioas);
  h.map(ioas, h.mmap(PAGES * PAGE_SIZE), PAGES * PAGE_SIZE, GPA);
  const hw = (h.ctx.platform as Platform).system.hw!;
  const parentR = h.io('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_NEST_PARENT | (dirty ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0) });
  const guestPool = new TablePool({ base: 0xe800_0000_0000 });
  const gpt = createPtIommu(nest.s1Format, { pool: guestPool, levels: nest.s1Levels });
  for (let i = 0; i < PAGES; i++) expect(gpt.mapPages(GIOVA + i * PAGE_SIZE, GPA + i * PAGE_SIZE, PAGE_SIZE, 3)).toBe(0);
  hw.attachPageTable(gpt);
  return { h, ioas, d, hw, nest, parentR, gpt };
}

function allocNested(s: ReturnType<typeof nestedSetup>, parent: number): number {
  const { h, d, nest, gpt } = s;
  let pt = parent;
  if (nest.viommuType !== null) {
    pt = h.ok('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: parent, type: nest.viommuType }).out_viommu_id!;
    h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: pt, dev_id: d.idev, virt_id: 0x10 });
  }
  const data = nest.nestedData(gpt.rootPhys);
  const va = h.mmap(data.length);
  h.ctx.mm.write(va, data);
  return h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: pt, data_type: nest.dataType, data_len: data.length, data_uptr: va }).out_hwpt_id!;
}

describe('VT-d nesting (PGTT=3, first stage over second stage)', () => {
  it('NEST_PARENT | DIRTY_TRACKING, 2-D walk, guest invalidation, dirty propagated to the nested PASID entry', () => {
    const s = nestedSetup('intel', true);
    const { h, d, hw } = s;
    expect(s.parentR.ok).toBe(true);
    const parent = s.parentR.out.out_hwpt_id as number;
    const nested = allocNested(s, parent);
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: nested })).toBe('OK');
    const before = hw.stats();
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 3 * PAGE_SIZE, length: 64, flags: 1 })).toBe('OK');
    const after = hw.stats();
    // 4-level first stage over a 4-level second stage: 4 + 4*4 + 4 = 24 IOPTE reads.
    expect(after.nested_walks! - before.nested_walks!).toBe(1);
    expect(after.nested_walk_refs! - before.nested_walk_refs!).toBe(24);
    // A GIOVA the guest did not map faults (stage 1).
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + PAGES * PAGE_SIZE, length: 64, flags: 0 })).toBe('EFAULT');
    // Dirty tracking: enabling it on the parent sets SSADE in the nested entry; a guest DMA write lands in the parent's bitmap at its GPA.
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: parent, flags: 1 });
    const intel = (h.ctx.platform as Platform).driver as unknown as { nesting: { entrySsade(dev: unknown, pasid: number): boolean | null } };
    const idev = h.ctx.table.get(d.idev, 'DEVICE') as unknown as { dev: unknown };
    expect(intel.nesting.entrySsade(idev.dev, 0)).toBe(true);
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 5 * PAGE_SIZE, length: 64, flags: 1 })).toBe('OK');
    const bm = h.bitmapBuf(PAGE_SIZE);
    h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: parent, iova: GPA, length: PAGES * PAGE_SIZE, page_size: PAGE_SIZE, data: bm });
    expect(h.bits(bm, PAGES)).toEqual([5]);
    expect(h.rc('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: nested, iova: GPA, length: PAGES * PAGE_SIZE, page_size: PAGE_SIZE, data: bm })).toBe('ENOENT');
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: parent, flags: 0 });
    expect(intel.nesting.entrySsade(idev.dev, 0)).toBe(false);
    // The guest unmaps a page: the IOTLB still holds it until the guest's invalidation.
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 7 * PAGE_SIZE, length: 64, flags: 0 })).toBe('OK');
    s.gpt.unmapPages(GIOVA + 7 * PAGE_SIZE, PAGE_SIZE, iotlbGatherInit());
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 7 * PAGE_SIZE, length: 64, flags: 0 })).toBe('OK');
    const inv = s.nest.invalidateAll(0x10n)!;
    const iva = h.mmap(64);
    h.ctx.mm.write(iva, inv.entry);
    const r = h.io('IOMMU_HWPT_INVALIDATE', { hwpt_id: nested, data_uptr: iva, data_type: inv.type, entry_len: inv.entry.length, entry_num: 1 });
    expect([r.ok, r.out.entry_num]).toEqual([true, 1]);
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 7 * PAGE_SIZE, length: 64, flags: 0 })).toBe('EFAULT');
    // The host unmapping guest RAM (stage 2) drops the combined entries too.
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 2 * PAGE_SIZE, length: 64, flags: 0 })).toBe('OK');
    expect(h.unmap(s.ioas, GPA, PAGES * PAGE_SIZE).rc).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 2 * PAGE_SIZE, length: 64, flags: 0 })).toBe('EFAULT');
  });

  it('VTD_S1 allocation and invalidation errno order', () => {
    const s = nestedSetup('intel', false);
    const { h, d } = s;
    const parent = s.parentR.out.out_hwpt_id as number;
    const plain = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: s.ioas }).out_hwpt_id!;
    const data = s.nest.nestedData(s.gpt.rootPhys);
    const va = h.mmap(64);
    h.ctx.mm.write(va, data);
    const alloc = (pt: number, o: Record<string, unknown> = {}) => h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: pt, data_type: s.nest.dataType, data_len: 24, data_uptr: va, ...o });
    expect(alloc(parent, { data_type: 2 })).toBe('EOPNOTSUPP');
    expect(alloc(plain)).toBe('EINVAL');
    expect(alloc(parent, { data_len: 16 })).toBe('EINVAL');
    expect(alloc(parent, { data_uptr: 0 })).toBe('EFAULT');
    expect(alloc(parent, { flags: IOMMU_HWPT_ALLOC_NEST_PARENT })).toBe('EOPNOTSUPP');
    // addr_width 39 is refused at attach (intel_pasid_setup_nested).
    const bad = data.slice();
    new DataView(bad.buffer).setUint32(16, 39, true);
    h.ctx.mm.write(va, bad);
    const badId = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: parent, data_type: s.nest.dataType, data_len: 24, data_uptr: va }).out_hwpt_id!;
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: badId })).toBe('EINVAL');
    h.ctx.mm.write(va, data);
    const nested = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: parent, data_type: s.nest.dataType, data_len: 24, data_uptr: va }).out_hwpt_id!;
    expect((h.ctx.table.get(nested, 'HWPT_NESTED') as HwptNested).domain.type).toBe('NESTED');
    const inv = (entries: bigint[][], o: Record<string, unknown> = {}) => {
      const b = new Uint8Array(entries.length * 24);
      const dv = new DataView(b.buffer);
      entries.forEach((e, i) => {
        dv.setBigUint64(i * 24, e[0]!, true);
        dv.setBigUint64(i * 24 + 8, e[1]!, true);
        dv.setUint32(i * 24 + 16, Number(e[2] ?? 0n), true);
      });
      const at = h.mmap(Math.max(b.length, 1));
      h.ctx.mm.write(at, b);
      const r = h.io('IOMMU_HWPT_INVALIDATE', { hwpt_id: nested, data_uptr: at, data_type: 0, entry_len: 24, entry_num: entries.length, ...o });
      return [r.ok ? 'OK' : r.errno, r.out.entry_num];
    };
    expect(inv([[0n, 1n]], { data_type: 1 })).toEqual(['EINVAL', 0]);
    expect(inv([[0n, 1n]], { entry_len: 16 })).toEqual(['EINVAL', 0]);
    expect(inv([[0n, 1n, 2n]])).toEqual(['EOPNOTSUPP', 0]);
    expect(inv([[0x800n, 1n]])).toEqual(['EINVAL', 0]);
    expect(inv([[0x1000n, (1n << 64n) - 1n]])).toEqual(['EINVAL', 0]);
    expect(inv([[0n, 4n, 1n], [0x1001n, 1n]])).toEqual(['EINVAL', 1]);
    expect(inv([[0n, (1n << 64n) - 1n], [0x2000n, 2n, 1n]])).toEqual(['OK', 2]);
  });
});

describe('AMD-Vi nesting (guest v2 over host v1, GV = 1)', () => {
  it('vIOMMU + AMD_GUEST nested domain, 2-D walk; HAD copied at attach only; no guest invalidation', () => {
    const s = nestedSetup('amd', true);
    const { h, d, hw } = s;
    expect(s.parentR.ok).toBe(true);
    const parent = s.parentR.out.out_hwpt_id as number;
    const nested = allocNested(s, parent);
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: nested })).toBe('OK');
    const before = hw.stats();
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + PAGE_SIZE, length: 64, flags: 1 })).toBe('OK');
    const after = hw.stats();
    // 4-level guest v2 over the host v1 table (amdv1 levels as the pool built it).
    expect(after.nested_walks! - before.nested_walks!).toBe(1);
    expect(after.nested_walk_refs! - before.nested_walk_refs!).toBeGreaterThanOrEqual(4 + 4 * 3 + 3);
    // Tracking switched on after the nested attach does not reach the nested DTE (HAD stays 0).
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: parent, flags: 1 });
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 2 * PAGE_SIZE, length: 64, flags: 1 })).toBe('OK');
    const bm = h.bitmapBuf(PAGE_SIZE);
    h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: parent, iova: GPA, length: PAGES * PAGE_SIZE, page_size: PAGE_SIZE, data: bm });
    expect(h.bits(bm, PAGES)).toEqual([]);
    // Re-attaching the nested domain while tracking is on copies HAD: now writes are seen.
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: s.ioas })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: nested })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 3 * PAGE_SIZE, length: 64, flags: 1 })).toBe('OK');
    h.zero(bm, PAGES);
    h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: parent, iova: GPA, length: PAGES * PAGE_SIZE, page_size: PAGE_SIZE, data: bm });
    expect(h.bits(bm, PAGES)).toEqual([3]);
    // No user invalidation path on AMD.
    const viommu = h.ctx.table.all().find((o) => o.type === 'VIOMMU')!.id;
    expect(h.rc('IOMMU_HWPT_INVALIDATE', { hwpt_id: nested, entry_num: 0 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_HWPT_INVALIDATE', { hwpt_id: viommu, entry_num: 0 })).toBe('EOPNOTSUPP');
    // A host unmap of guest RAM flushes the nested hDomID.
    expect(h.unmap(s.ioas, GPA, PAGES * PAGE_SIZE).rc).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + PAGE_SIZE, length: 64, flags: 0 })).toBe('EFAULT');
  });

  it('guest DTE validation (validate_gdte_nested)', () => {
    const s = nestedSetup('amd', false);
    const { h, d } = s;
    const parent = s.parentR.out.out_hwpt_id as number;
    const viommu = h.ok('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: parent, type: s.nest.viommuType! }).out_viommu_id!;
    const good = s.nest.nestedData(s.gpt.rootPhys);
    const alloc = (mut: (dv: DataView) => void, o: Record<string, unknown> = {}) => {
      const b = good.slice();
      mut(new DataView(b.buffer));
      const va = h.mmap(64);
      h.ctx.mm.write(va, b);
      return h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: viommu, data_type: s.nest.dataType, data_len: 32, data_uptr: va, ...o });
    };
    const or0 = (v: bigint) => (dv: DataView) => dv.setBigUint64(0, dv.getBigUint64(0, true) | v, true);
    expect(alloc(() => undefined, { data_type: 1 })).toBe('EOPNOTSUPP');
    expect(alloc(() => undefined, { data_len: 24 })).toBe('EINVAL');
    expect(alloc(or0(1n << 9n))).toBe('EINVAL'); // Mode
    expect(alloc(or0(1n << 12n))).toBe('EINVAL'); // Host TRP
    expect(alloc(or0(3n << 56n))).toBe('EINVAL'); // GLX 3
    expect(alloc((dv) => dv.setBigUint64(16, 2n << 54n, true))).toBe('EINVAL'); // guest paging level 2
    expect(alloc((dv) => dv.setBigUint64(16, 1n << 54n, true))).toBe('EOPNOTSUPP'); // 5-level guest on a 4-level host
    expect(alloc((dv) => dv.setBigUint64(8, 0n, true))).toBe('EINVAL'); // GCR3 0 with V, GV
    expect(alloc(() => undefined, { flags: 8 })).toBe('EOPNOTSUPP');
    expect(alloc(() => undefined)).toBe('OK');
    // Nested HWPTs come only from the vIOMMU on AMD (no domain_alloc_nested op).
    expect(alloc(() => undefined, { pt_id: parent })).toBe('EOPNOTSUPP');
  });
});

describe('SMMUv3 nesting (S1 over S2, vSTE)', () => {
  it('stage-2 parent refuses dirty tracking; vSTE nested domain, 2-D walk, vIOMMU invalidation, S1 faults as vEVENTs', () => {
    const refused = nestedSetup('smmuv3', true);
    expect(refused.parentR.ok ? 'OK' : refused.parentR.errno).toBe('EOPNOTSUPP');
    const s = nestedSetup('smmuv3', false);
    const { h, d, hw } = s;
    const parent = s.parentR.out.out_hwpt_id as number;
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: parent, flags: 1 })).toBe('EOPNOTSUPP');
    const nested = allocNested(s, parent);
    const viommu = h.ctx.table.all().find((o) => o.type === 'VIOMMU')!.id;
    const q = h.ok('IOMMU_VEVENTQ_ALLOC', { viommu_id: viommu, type: 1, veventq_depth: 8 });
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: nested })).toBe('OK');
    const before = hw.stats();
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + PAGE_SIZE, length: 64, flags: 1 })).toBe('OK');
    const after = hw.stats();
    expect(after.nested_walks! - before.nested_walks!).toBe(1);
    expect(after.nested_walk_refs! - before.nested_walk_refs!).toBe(24);
    // A stage-1 fault reaches the guest as a 32-byte event carrying the vSID 0x10.
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + PAGES * PAGE_SIZE, length: 64, flags: 0 })).toBe('EFAULT');
    const queue = h.ctx.table.get(q.out_veventq_id!, 'VEVENTQ') as unknown as { deliver: { data: Uint8Array | null }[] };
    expect(queue.deliver).toHaveLength(1);
    const ev = new DataView(queue.deliver[0]!.data!.buffer);
    expect([ev.getUint32(0, true) & 0xff, ev.getUint32(4, true)]).toEqual([0x10, 0x10]);
    // Guest unmap + CMD_TLBI_NSNH_ALL through the vIOMMU (VMID forced by the host).
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 4 * PAGE_SIZE, length: 64, flags: 0 })).toBe('OK');
    s.gpt.unmapPages(GIOVA + 4 * PAGE_SIZE, PAGE_SIZE, iotlbGatherInit());
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 4 * PAGE_SIZE, length: 64, flags: 0 })).toBe('OK');
    const inv = s.nest.invalidateAll(0x10n)!;
    const iva = h.mmap(64);
    h.ctx.mm.write(iva, inv.entry);
    const r = h.io('IOMMU_HWPT_INVALIDATE', { hwpt_id: viommu, data_uptr: iva, data_type: inv.type, entry_len: 16, entry_num: 1 });
    expect([r.ok, r.out.entry_num]).toEqual([true, 1]);
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GIOVA + 4 * PAGE_SIZE, length: 64, flags: 0 })).toBe('EFAULT');
    // Commands: CFGI_STE is not accepted (EIO); an ATC_INV with an unknown vSID is EIO after one handled command.
    const cmds = (words: bigint[]) => {
      const b = new Uint8Array(words.length * 8);
      words.forEach((w, i) => new DataView(b.buffer).setBigUint64(i * 8, w, true));
      const at = h.mmap(b.length);
      h.ctx.mm.write(at, b);
      const x = h.io('IOMMU_HWPT_INVALIDATE', { hwpt_id: viommu, data_uptr: at, data_type: inv.type, entry_len: 16, entry_num: words.length / 2 });
      return [x.ok ? 'OK' : x.errno, x.out.entry_num];
    };
    expect(cmds([0x03n, 0n])).toEqual(['EIO', 0]);
    expect(cmds([0x10n, 0n, 0x40n | (0x99n << 32n), 0n])).toEqual(['EIO', 1]);
    expect(cmds([0x05n | (0x10n << 32n), 1n, 0x11n, 0n])).toEqual(['OK', 2]);
    expect(h.rc('IOMMU_HWPT_INVALIDATE', { hwpt_id: nested, entry_num: 0 })).toBe('EOPNOTSUPP');
  });

  it('vIOMMU and vSTE validation (arm_vsmmu_init, arm_smmu_validate_vste), vDEVICE before attach', () => {
    const s = nestedSetup('smmuv3', false);
    const { h, d } = s;
    const parent = s.parentR.out.out_hwpt_id as number;
    const plain = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: s.ioas }).out_hwpt_id!;
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: parent, type: 2 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: plain, type: 1 })).toBe('EINVAL');
    const viommu = h.ok('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: parent, type: 1 }).out_viommu_id!;
    const vste = (s0: bigint, s1 = 0n, o: Record<string, unknown> = {}) => {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setBigUint64(0, s0, true);
      new DataView(b.buffer).setBigUint64(8, s1, true);
      const at = h.mmap(16);
      h.ctx.mm.write(at, b);
      const r = h.io('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: viommu, data_type: s.nest.dataType, data_len: 16, data_uptr: at, ...o });
      return r.ok ? 'OK' : r.errno;
    };
    const s1cfg = 1n | (5n << 1n);
    expect(vste(s1cfg, 0n, { flags: 8 })).toBe('EOPNOTSUPP');
    expect(vste(s1cfg, 0n, { data_type: 1 })).toBe('EINVAL');
    expect(vste(1n | (6n << 1n))).toBe('EIO'); // Config S2 only
    expect(vste(s1cfg | (1n << 52n))).toBe('EIO'); // a bit outside the allowed fields
    expect(vste(s1cfg, 2n << 28n)).toBe('EIO'); // EATS = split
    expect(vste(0n)).toBe('OK'); // V = 0: abort
    expect(vste(1n | (4n << 1n))).toBe('OK'); // bypass: translates as the parent
    expect(vste(s1cfg, 1n << 28n)).toBe('OK');
    // Attach needs the vDEVICE.
    const nested = h.ctx.table.all().filter((o) => o.type === 'HWPT_NESTED').at(-1)!.id;
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: nested })).toBe('ENOENT');
    h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d.idev, virt_id: 7 });
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: nested })).toBe('OK');
    // A bypass vSTE translates IOVA = IPA through the parent alone.
    const bypass = h.ctx.table.all().filter((o) => o.type === 'HWPT_NESTED').at(-2)!.id;
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: bypass })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GPA, length: 64, flags: 1 })).toBe('OK');
  });
});

describe('PASID on the vendor models', () => {
  it('VT-d: GET_HW_INFO PASID width; a PASID-compatible nested HWPT attached at a PASID translates that PASID\'s DMA (PGTT=3 at the PASID)', () => {
    const nest = vendorEntry('intel').nesting!;
    const h = new H('intel');
    const ioas = h.ioasAlloc();
    const d = h.mockDomain(ioas, 4); // MOCK_FLAGS_DEVICE_PASID
    expect(h.ok('IOMMU_GET_HW_INFO', { dev_id: d.idev }).out_max_pasid_log2).toBe(20);
    h.map(ioas, h.mmap(PAGES * PAGE_SIZE), PAGES * PAGE_SIZE, GPA);
    const parent = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_NEST_PARENT | 8 }).out_hwpt_id!;
    const gpt = createPtIommu(nest.s1Format, { pool: new TablePool({ base: 0xe800_0000_0000 }), levels: nest.s1Levels });
    for (let i = 0; i < PAGES; i++) gpt.mapPages(GIOVA + i * PAGE_SIZE, GPA + i * PAGE_SIZE, PAGE_SIZE, 3);
    (h.ctx.platform as Platform).system.hw!.attachPageTable(gpt);
    const data = nest.nestedData(gpt.rootPhys);
    const va = h.mmap(64);
    h.ctx.mm.write(va, data);
    const nested = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: parent, flags: 8, data_type: nest.dataType, data_len: 24, data_uptr: va }).out_hwpt_id!;
    const attach = () => h.testRc('IOMMU_TEST_OP_PASID_ATTACH', { id: d.stdev, pasid: 100, pt_id: nested });
    // The RID sits on an auto domain (not PASID-compatible).
    expect(attach()).toBe('EINVAL');
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: parent })).toBe('OK');
    expect(attach()).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_PASID_CHECK_HWPT', { id: d.stdev, pasid: 100, hwpt_id: nested })).toBe('OK');
    // PASID 100 translates GIOVA through the guest table; the RID (the parent) translates GPA.
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, pasid: 100, iova: GIOVA + PAGE_SIZE, length: 64, flags: 1 })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, pasid: 100, iova: GPA, length: 64, flags: 0 })).toBe('EFAULT');
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: GPA, length: 64, flags: 0 })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_PASID_DETACH', { id: d.stdev, pasid: 100 })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, pasid: 100, iova: GIOVA + PAGE_SIZE, length: 64, flags: 0 })).toBe('EFAULT');
    // A paging HWPT has no set_dev_pasid on the vendor models.
    expect(h.testRc('IOMMU_TEST_OP_PASID_ATTACH', { id: d.stdev, pasid: 100, pt_id: parent })).toBe('EOPNOTSUPP');
  });
});
