// Seeded random ioctl sequences (>= 20,000 calls per vendor) against invariants:
//  - every mapped IOVA translates to its pinned page in every domain of its IOAS,
//  - unmapped IOVAs do not translate and device DMA to them faults,
//  - object refcounts equal what the object graph implies,
//  - a dirty bitmap reports exactly the pages devices wrote (never a page no DMA wrote).
// Reproducible: the seed is fixed (override with IOMMUFD_PROP_SEED).
import { describe, expect, it } from 'vitest';
import type { VendorName } from '../../../core/iommu/registry';
import type { AnyObject, Hwpt, HwptNested, HwptPaging, Idev, Ioas, SelftestDev, Viommu } from '../../../core/iommufd/objects';
import { hwptPagingOf } from '../../../core/iommufd/objects';
import { nestKit } from './nest-kits';
import { Rng } from '../../../core/base/rng';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

const CALLS = 20_000;
const BASE = MOCK_APERTURE_START;
const WINDOW_PAGES = 4096; // 16 MiB of IOVA per IOAS
const SEED = Number(process.env.IOMMUFD_PROP_SEED ?? 0x5eed);

interface RefArea { iova: number; len: number; uva: number }

function run(vendor: VendorName, seed: number): Record<string, number> {
  const rng = new Rng(seed);
  const h = new H(vendor);
  const ctx = h.ctx;
  const pick = <T>(a: T[]): T | undefined => (a.length ? a[rng.int(a.length)] : undefined);
  const buffers = Array.from({ length: 8 }, () => h.mmap(16 * PAGE_SIZE));
  const kit = nestKit(h);
  const ref = new Map<number, RefArea[]>(); // ioas id -> areas
  const written = new Map<HwptPaging, Set<number>>(); // IOVA pages written while tracking
  const stats: Record<string, number> = {};
  const count = (k: string) => (stats[k] = (stats[k] ?? 0) + 1);
  const objs = <T extends AnyObject>(t: AnyObject['type']) => ctx.table.all().filter((o) => o.type === t && o.finalized) as T[];
  const areaAt = (ioas: number, iova: number) => ref.get(ioas)!.find((a) => iova >= a.iova && iova < a.iova + a.len);

  /** Pages of [iova, +len) leave every tracking HWPT of the IOAS (unmapped: new PTEs are clean). */
  // Mainline SMMUv3 installs new writable leaves writable-dirty (DBM=1, AP[2]=0) and relies
  // on the enable-time clear (arm_smmu_set_dirty_tracking): a fresh mapping reads as dirty.
  const mapsDirty = vendor === 'smmuv3';
  const forget = (ioasId: number, iova: number, len: number) => {
    for (const hw of objs<HwptPaging>('HWPT_PAGING')) {
      if (hw.ioas.id !== ioasId) continue;
      for (let p = iova; p < iova + len; p += PAGE_SIZE) {
        if (mapsDirty) written.get(hw)?.add(p);
        else written.get(hw)?.delete(p);
      }
    }
  };

  const check = () => {
    for (const ioas of objs<Ioas>('IOAS')) {
      const areas = ref.get(ioas.id)!;
      expect(ioas.iopt.areas.map((a) => [a.iova, a.last - a.iova + 1])).toEqual([...areas].sort((x, y) => x.iova - y.iova).map((a) => [a.iova, a.len]));
      for (const d of ioas.iopt.domains) {
        // The mock WARNs when an unmap is not a superset of maps or a map overlaps.
        expect((d as unknown as { stats?: { warnings: number } }).stats?.warnings ?? 0).toBe(0);
        for (const a of areas) for (let off = 0; off < a.len; off += PAGE_SIZE) expect(d.ops.iovaToPhys(d, a.iova + off)).toBe(ctx.mm.translate(a.uva + off));
        for (let k = 0; k < 4; k++) {
          const iova = BASE + rng.int(WINDOW_PAGES) * PAGE_SIZE;
          if (!areaAt(ioas.id, iova)) expect(d.ops.iovaToPhys(d, iova)).toBe(0);
        }
      }
      expect(ioas.users).toBe(1 + ioas.hwptList.length + objs<AnyObject>('ACCESS').length * 0);
    }
    const devices = objs<Idev>('DEVICE');
    const pasidUsers = (hw: Hwpt) => devices.reduce((n, d) => n + [...d.igroup.pasidAttach.values()].filter((a) => a.hwpt === hw && a.devices.has(d)).length, 0);
    for (const hw of objs<HwptPaging>('HWPT_PAGING')) {
      const devs = devices.filter((d) => d.hwpt === hw).length;
      const children = objs<HwptNested>('HWPT_NESTED').filter((n) => n.parent === hw && !n.viommu).length;
      const viommus = objs<Viommu>('VIOMMU').filter((v) => v.hwpt === hw).length;
      expect(hw.users).toBe(1 + devs + children + viommus + pasidUsers(hw));
    }
    for (const hw of objs<HwptNested>('HWPT_NESTED')) expect(hw.users).toBe(1 + devices.filter((d) => d.hwpt === hw).length + pasidUsers(hw));
    for (const v of objs<Viommu>('VIOMMU')) {
      const nested = objs<HwptNested>('HWPT_NESTED').filter((n) => n.viommu === v).length;
      expect(v.users).toBe(1 + v.vdevs.size + v.veventqs.size + v.hwQueues.size + nested);
      for (const vd of v.vdevs.values()) expect(vd.idev.vdev).toBe(vd);
    }
    for (const d of devices) expect(d.users).toBe(2 + (d.hwpt ? 1 : 0) + [...d.igroup.pasidAttach.values()].filter((a) => a.devices.has(d)).length);
  };

  for (let i = 0; i < CALLS; i++) {
    const ioases = objs<Ioas>('IOAS');
    const stdevs = objs<SelftestDev>('SELFTEST');
    const op = kit ? rng.int(112) : rng.int(100);
    if (op < 3 || ioases.length === 0) {
      if (ioases.length >= 3) continue;
      const id = h.ioasAlloc();
      ref.set(id, []);
      // Confine automatic IOVAs to the window every model's aperture covers (ALLOW_IOVAS).
      const rv = h.mmap(PAGE_SIZE);
      const dv = new DataView(new ArrayBuffer(16));
      dv.setBigUint64(0, BigInt(BASE), true);
      dv.setBigUint64(8, BigInt(BASE + WINDOW_PAGES * PAGE_SIZE - 1), true);
      ctx.mm.write(rv, new Uint8Array(dv.buffer));
      expect(h.rc('IOMMU_IOAS_ALLOW_IOVAS', { ioas_id: id, num_iovas: 1, allowed_iovas: rv })).toBe('OK');
      count('ioas_alloc');
    } else if (op < 7) {
      if (stdevs.length >= 4) continue;
      const ioas = pick(ioases)!;
      const r = h.test('IOMMU_TEST_OP_MOCK_DOMAIN', { id: ioas.id });
      // A domain whose aperture does not cover an existing area cannot be linked.
      const outside = ref.get(ioas.id)!.some((a) => a.iova < ioas.iopt.domains.reduce((m, d) => Math.max(m, d.geometry.apertureStart), 0) || a.iova < (r.ok ? 0 : BASE));
      expect(r.ok ? 'OK' : r.errno).toBe(r.ok || !outside ? 'OK' : 'EADDRINUSE');
      count('attach');
    } else if (op < 10) {
      const st = pick(stdevs);
      if (!st) continue;
      const hw = st.idev.hwpt!;
      const r = h.io('IOMMU_HWPT_ALLOC', { dev_id: st.idev.id, pt_id: pick(ioases)!.id, flags: 2 });
      expect(r.ok).toBe(true);
      const nh = r.out.out_hwpt_id as number;
      // A HWPT without ALLOC_PASID cannot take the RID while PASIDs are attached.
      const pasids = st.idev.igroup.pasidAttach.size > 0;
      expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: st.id, pt_id: nh })).toBe(pasids ? 'EINVAL' : 'OK');
      if (pasids) {
        expect(h.rc('IOMMU_DESTROY', { id: nh })).toBe('OK');
        continue;
      }
      // The old HWPT: gone if it was auto and this was its last device, busy while others use it.
      const left = objs<Idev>('DEVICE').filter((d) => d.hwpt === hw).length;
      expect(h.rc('IOMMU_DESTROY', { id: hw.id })).toBe(left || hw.users > 1 ? 'EBUSY' : hw.type === 'HWPT_PAGING' && hw.autoDomain ? 'ENOENT' : 'OK');
      count('replace');
    } else if (op < 12) {
      const st = pick(stdevs);
      if (!st) continue;
      const hw = st.idev.hwpt!;
      expect(h.rc('IOMMU_DESTROY', { id: st.id })).toBe('OK');
      const left = objs<Idev>('DEVICE').filter((d) => d.hwpt === hw).length;
      if (hw.type === 'HWPT_NESTED' || !hw.autoDomain) expect(h.rc('IOMMU_DESTROY', { id: hw.id })).toBe(left || hw.users > 1 ? 'EBUSY' : 'OK');
      else expect(h.ctx.table.get(hw.id) !== undefined).toBe(left > 0);
      count('detach');
    } else if (op < 40) {
      const ioas = pick(ioases)!;
      const pages = 1 + rng.int(8);
      const buf = pick(buffers)! + rng.int(8) * PAGE_SIZE;
      const fixed = rng.int(3) > 0;
      const iova = BASE + rng.int(WINDOW_PAGES - 8) * PAGE_SIZE;
      const r = h.map(ioas.id, buf, pages * PAGE_SIZE, fixed ? iova : undefined);
      if (fixed) {
        const overlap = ref.get(ioas.id)!.some((a) => a.iova < iova + pages * PAGE_SIZE && iova < a.iova + a.len);
        expect(r).toBe(overlap ? 'EEXIST' : iova);
      } else expect(typeof r).toBe('number');
      if (typeof r === 'number') {
        ref.get(ioas.id)!.push({ iova: r, len: pages * PAGE_SIZE, uva: buf });
        forget(ioas.id, r, pages * PAGE_SIZE);
      }
      count('map');
    } else if (op < 55) {
      const ioas = pick(ioases)!;
      const areas = ref.get(ioas.id)!;
      const a = pick(areas);
      if (!a) {
        expect(h.unmap(ioas.id, BASE, PAGE_SIZE).rc).toBe('ENOENT');
        continue;
      }
      if (a.len > PAGE_SIZE && rng.int(4) === 0) {
        expect(h.unmap(ioas.id, a.iova, a.len - PAGE_SIZE).rc).toBe('ENOENT');
        count('unmap_partial');
        continue;
      }
      expect(h.unmap(ioas.id, a.iova, a.len)).toEqual({ rc: 'OK', length: a.len });
      areas.splice(areas.indexOf(a), 1);
      for (const hw of objs<HwptPaging>('HWPT_PAGING')) if (hw.ioas.id === ioas.id) for (let p = a.iova; p < a.iova + a.len; p += PAGE_SIZE) written.get(hw)?.delete(p);
      count('unmap');
    } else if (op < 60) {
      const src = pick(ioases)!;
      const dst = pick(ioases)!;
      const a = pick(ref.get(src.id)!);
      if (!a) continue;
      const r = h.io('IOMMU_IOAS_COPY', { flags: 6, dst_ioas_id: dst.id, src_ioas_id: src.id, length: a.len, src_iova: a.iova });
      expect(r.ok).toBe(true);
      const d = r.out.dst_iova as number;
      ref.get(dst.id)!.push({ iova: d, len: a.len, uva: a.uva });
      forget(dst.id, d, a.len);
      count('copy');
    } else if (op < 64) {
      const hw = pick(objs<HwptPaging>('HWPT_PAGING').filter((x) => x.dirtyTracking));
      if (!hw) continue;
      const en = rng.int(2);
      expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw.id, flags: en })).toBe('OK');
      if (en) written.set(hw, new Set());
      else written.delete(hw);
      count('set_dirty');
    } else if (op < 90) {
      const st = pick(stdevs);
      if (!st) continue;
      // A nested domain's stage 1 is identity over its parent (nest-kits.ts): DMA lands in the parent.
      const hw = hwptPagingOf(st.idev.hwpt!);
      const iova = BASE + rng.int(WINDOW_PAGES) * PAGE_SIZE;
      const mapped = areaAt(hw.ioas.id, iova);
      const write = rng.int(2) === 1;
      const rc = h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: st.id, iova: iova + rng.int(PAGE_SIZE - 64), length: 64, flags: write ? 1 : 0 });
      expect(rc).toBe(mapped ? 'OK' : 'EFAULT');
      // Through a nested HWPT the write dirties the parent only where the vendor tracks nested devices.
      const tracked = st.idev.hwpt!.type !== 'HWPT_NESTED' || (kit?.nestedWriteTracked(st.idev) ?? false);
      if (mapped && write && tracked) written.get(hw)?.add(iova);
      count(mapped ? 'dma' : 'dma_fault');
      if (mapped && st.idev.hwpt!.type === 'HWPT_NESTED') count('nest_dma');
    } else if (op < 97) {
      const hw = pick(objs<HwptPaging>('HWPT_PAGING').filter((x) => written.has(x)));
      if (!hw) continue;
      const a = pick(ref.get(hw.ioas.id)!);
      if (!a) continue;
      const bm = h.bitmapBuf(PAGE_SIZE);
      const noClear = rng.int(4) === 0;
      expect(h.rc('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hw.id, iova: a.iova, length: a.len, page_size: PAGE_SIZE, data: bm, flags: noClear ? 1 : 0 })).toBe('OK');
      const got = h.bits(bm, a.len / PAGE_SIZE).map((b) => a.iova + b * PAGE_SIZE);
      const w = written.get(hw)!;
      const want = [...w].filter((p) => p >= a.iova && p < a.iova + a.len).sort((x, y) => x - y);
      expect(got).toEqual(want);
      if (!noClear) for (const p of want) w.delete(p);
      count('get_dirty');
    } else if (op < 100) {
      const o = pick(ctx.table.all().filter((x) => x.finalized));
      if (!o) continue;
      const rc = h.rc('IOMMU_DESTROY', { id: o.id });
      expect(rc).toBe(o.users === 1 ? 'OK' : 'EBUSY');
      if (rc === 'OK' && o.type === 'IOAS') ref.delete(o.id);
      count('destroy');
    } else if (kit) {
      const ev = kit.step(op - 100, rng, { stdevs, ioases, objs, written, ref, forget });
      if (ev) count(ev);
    }
    if (i % 250 === 0) check();
  }
  check();
  const t = h.teardown();
  expect(t).toEqual({ pinned: 0, pool: 0, objects: 0 });
  return stats;
}

describe('property: random ioctl sequences', () => {
  for (const vendor of ['mock', 'amd', 'intel', 'smmuv3'] as const) {
    it(`${vendor}: ${CALLS} calls, seed ${SEED}`, () => {
      const t0 = Date.now();
      const stats = run(vendor, SEED);
      if (process.env.PROP_DEBUG) console.log(vendor, Date.now() - t0, JSON.stringify(stats));
      expect(stats.map! + stats.unmap! + stats.dma! + stats.get_dirty!).toBeGreaterThan(CALLS / 3);
      expect(stats.get_dirty).toBeGreaterThan(100);
      // The nesting objects were exercised wherever the model has them.
      const keys = vendor === 'mock' ? ['nest_alloc', 'nest_attach', 'nest_invalidate', 'viommu_alloc', 'vdevice_alloc', 'pasid_attach', 'map_file'] : ['nest_attach', 'map_file', 'nest_dma'];
      for (const k of keys) expect(stats[k], k).toBeGreaterThan(20);
      if (vendor === 'intel' || vendor === 'smmuv3') expect(stats.nest_invalidate, 'nest_invalidate').toBeGreaterThan(20);
    });
  }
});
