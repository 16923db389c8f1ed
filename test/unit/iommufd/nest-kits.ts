// Nesting steps for the property test (property.test.ts): nest-parent + nested HWPT
// allocation (from the parent or from a vIOMMU), vDEVICEs, replace onto nested HWPTs,
// user invalidations, vEVENTs, PASID attach/detach and IOAS_MAP_FILE, each with the
// errno the model must give. Per vendor the kit knows the nested data the driver takes
// (nestData); a nested domain's stage 1 is an identity map over the parent's IOVA space
// where the model translates (mock: through the parent), so DMA and dirty expectations of
// the main test hold unchanged.
import { expect } from 'vitest';
import type { Rng } from '../../../core/base/rng';
import { veventqRead } from '../../../core/iommufd/eventq';
import type { AnyObject, HwptNested, HwptPaging, Idev, Ioas, SelftestDev, Veventq, Viommu } from '../../../core/iommufd/objects';
import { hwptPagingOf } from '../../../core/iommufd/objects';
import { MOCK_FLAGS_DEVICE_PASID } from '../../../core/iommu/mock';
import { IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../../core/uapi/iommufd';
import {
  IOMMU_HWPT_DATA_SELFTEST,
  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
  IOMMU_TEST_INVALIDATE_FLAG_ALL,
  IOMMU_TEST_IOTLB_DEFAULT,
  IOMMU_VEVENTQ_TYPE_SELFTEST,
  IOMMU_VIOMMU_TYPE_SELFTEST,
} from '../../../core/uapi/iommufd-test';
import type { H } from './harness';
import { vendorEntry } from '../../../core/iommu/registry';
import type { Platform } from '../../../core/iommufd/platform';
import { TablePool, createPtIommu } from '../../../core/pt';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../../core/uapi/iommufd';
import { PAGE_SIZE } from './harness';

const BASE = 1 << 24;
const WINDOW_PAGES = 4096;

/** What a step may read and update of the property test's state. */
export interface StepEnv {
  stdevs: SelftestDev[];
  ioases: Ioas[];
  objs: <T extends AnyObject>(t: AnyObject['type']) => T[];
  written: Map<HwptPaging, Set<number>>;
  ref: Map<number, { iova: number; len: number; uva: number }[]>;
  forget: (ioasId: number, iova: number, len: number) => void;
}

export interface NestKit {
  /** Run nesting step `k` (0..11); returns the stats key or null when skipped. */
  step(k: number, rng: Rng, env: StepEnv): string | null;
  /** Whether a DMA write of a device on a nested HWPT sets D where the parent's bitmap reads it. */
  nestedWriteTracked(idev: Idev): boolean;
}

/** Per-vendor nested HWPT data and vIOMMU type. */
interface VendorNest {
  /** HWPT_ALLOC data for a nested domain: type and bytes. */
  nestData(h: H): { type: number; uptr: number; len: number };
  /** vIOMMU type, or null when nested HWPTs come from the parent only. */
  viommuType: number | null;
  /** Nested HWPTs can also be allocated from the parent HWPT. */
  fromParent: boolean;
  /** Attaching a vIOMMU nested HWPT needs the device's vDEVICE. */
  needsVdev: boolean;
  /** A valid single-entry invalidation: the data type, entry bytes and where it goes. */
  invalidation: { type: number; entry: number[]; onViommu: boolean } | null;
}

const MOCK: VendorNest = {
  nestData: (h) => ({ type: IOMMU_HWPT_DATA_SELFTEST, uptr: h.u32s([IOMMU_TEST_IOTLB_DEFAULT]), len: 4 }),
  viommuType: IOMMU_VIOMMU_TYPE_SELFTEST,
  fromParent: true,
  needsVdev: true,
  invalidation: { type: IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, entry: [IOMMU_TEST_INVALIDATE_FLAG_ALL, 0], onViommu: false },
};

/**
 * A vendor model's kit from its registry entry (VendorEntry.nesting): the guest's stage-1
 * table is an identity map of the test's IOVA window (2 MiB leaves), so a nested device
 * translates exactly like one on the parent.
 */
function vendorNest(h: H): VendorNest | null {
  const nest = vendorEntry(h.vendor).nesting;
  if (!nest) return null;
  const pool = new TablePool({ base: 0xe800_0000_0000 });
  const gpt = createPtIommu(nest.s1Format, { pool, levels: nest.s1Levels });
  for (let off = 0; off < WINDOW_PAGES * PAGE_SIZE; off += 2 ** 21) expect(gpt.mapPages(BASE + off, BASE + off, 2 ** 21, 3)).toBe(0);
  (h.ctx.platform as Platform).system.hw!.attachPageTable(gpt);
  const data = nest.nestedData(gpt.rootPhys);
  const inv = nest.invalidateAll(0n);
  return {
    nestData: () => {
      const va = h.mmap(data.length);
      h.ctx.mm.write(va, data);
      return { type: nest.dataType, uptr: va, len: data.length };
    },
    viommuType: nest.viommuType,
    fromParent: nest.viommuType === null,
    needsVdev: nest.attachNeedsVdevice,
    invalidation: inv ? { type: inv.type, entry: [...new Uint32Array(inv.entry.buffer)], onViommu: inv.onViommu } : null,
  };
}

/** The kit of h's vendor, or null when the model has no nesting. */
export function nestKit(h: H): NestKit | null {
  const found = h.vendor === 'mock' ? MOCK : vendorNest(h);
  if (!found) return null;
  const v: VendorNest = found;
  /** Per device: whether its nested attach left writes tracked (AMD: DTE.HAD copied from the parent at attach). */
  const trackedAtAttach = new Map<number, boolean>();
  let nextVirt = 1;
  /** virt_id of each device's vDEVICE when it was last attached to a vIOMMU nested HWPT. */
  const attachVirt = new Map<number, bigint>();
  const memfds: { fd: number; va: number }[] = [];
  const pick = <T>(rng: Rng, a: T[]): T | undefined => (a.length ? a[rng.int(a.length)] : undefined);
  const rc = (r: { ok: boolean; errno?: string }) => (r.ok ? 'OK' : r.errno!);

  function nestAlloc(rng: Rng, env: StepEnv): string | null {
    if (env.objs('HWPT_NESTED').length >= 6) return null;
    const st = pick(rng, env.stdevs);
    if (!st?.idev.hwpt) return null;
    const ioas = hwptPagingOf(st.idev.hwpt).ioas;
    // Vendor parents: NEST_PARENT | DIRTY_TRACKING where the driver allows it (refused on SMMUv3).
    const dirtyParent = h.vendor !== 'mock' && rng.int(2) === 1;
    const flags = IOMMU_HWPT_ALLOC_NEST_PARENT | (h.vendor === 'mock' && rng.int(2) ? IOMMU_HWPT_ALLOC_PASID : 0) | (dirtyParent ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0);
    const parents = env.objs<HwptPaging>('HWPT_PAGING').filter((p) => p.nestParent);
    let parent = parents.length >= 2 ? pick(rng, parents)! : undefined;
    if (!parent) {
      const r = h.io('IOMMU_HWPT_ALLOC', { dev_id: st.idev.id, pt_id: ioas.id, flags });
      if (dirtyParent && h.vendor === 'smmuv3') {
        expect(rc(r)).toBe('EOPNOTSUPP');
        return 'nest_parent_dirty_refused';
      }
      expect(rc(r)).toBe('OK');
      parent = h.hwpt(r.out.out_hwpt_id as number);
    }
    let pt = parent.id;
    if (v.viommuType !== null && (!v.fromParent || rng.int(2))) {
      let viommu = env.objs<Viommu>('VIOMMU').find((x) => x.hwpt === parent);
      if (!viommu) {
        const r = h.io('IOMMU_VIOMMU_ALLOC', { dev_id: st.idev.id, hwpt_id: parent.id, type: v.viommuType });
        expect(rc(r)).toBe('OK');
        viommu = h.ctx.table.get(r.out.out_viommu_id as number, 'VIOMMU') as Viommu;
      }
      pt = viommu.id;
    }
    const d = v.nestData(h);
    const pasidFlag = h.vendor === 'mock' || h.vendor === 'intel' ? (rng.int(2) ? IOMMU_HWPT_ALLOC_PASID : 0) : 0;
    const r = h.io('IOMMU_HWPT_ALLOC', { dev_id: st.idev.id, pt_id: pt, flags: pasidFlag, data_type: d.type, data_len: d.len, data_uptr: d.uptr });
    expect(rc(r)).toBe('OK');
    return pt === parent.id ? 'nest_alloc' : 'viommu_alloc';
  }

  function vdevFor(idev: Idev, viommu: Viommu): string {
    if (idev.vdev) return idev.vdev.viommu === viommu ? 'OK' : 'ENOENT';
    const r = h.io('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu.id, dev_id: idev.id, virt_id: nextVirt++ });
    expect(rc(r)).toBe('OK');
    return 'OK';
  }

  function nestAttach(rng: Rng, env: StepEnv): string | null {
    const st = pick(rng, env.stdevs);
    const n = pick(rng, env.objs<HwptNested>('HWPT_NESTED'));
    if (!st || !n) return null;
    // iommufd_hwpt_pasid_compat comes before the driver's attach (which wants a vDEVICE).
    let want = st.idev.igroup.pasidAttach.size && !n.pasidCompat ? 'EINVAL' : 'OK';
    if (want === 'OK' && n.viommu && v.needsVdev) want = vdevFor(st.idev, n.viommu);
    const before = st.idev.hwpt;
    const got = h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: st.id, pt_id: n.id });
    expect(got).toBe(before === n ? 'OK' : want);
    if (got === 'OK' && before !== n && n.viommu && st.idev.vdev) attachVirt.set(st.idev.id, st.idev.vdev.virtId);
    if (got === 'OK' && before !== n) trackedAtAttach.set(st.idev.id, n.parent.dirtyTracking && n.parent.domain.dirtyTracking);
    return got === 'OK' ? 'nest_attach' : 'nest_attach_refused';
  }

  function nestInvalidate(rng: Rng, env: StepEnv): string | null {
    const inv = v.invalidation;
    if (!inv) return null;
    const target = inv.onViommu ? pick(rng, env.objs<Viommu>('VIOMMU')) : pick(rng, env.objs<HwptNested>('HWPT_NESTED'));
    if (!target) return null;
    const uptr = h.u32s(inv.entry);
    const r = h.io('IOMMU_HWPT_INVALIDATE', { hwpt_id: target.id, data_uptr: uptr, data_type: inv.type, entry_len: inv.entry.length * 4, entry_num: 1 });
    expect([rc(r), r.out.entry_num]).toEqual(['OK', 1]);
    if (h.vendor === 'mock' && target.type === 'HWPT_NESTED') for (let i = 0; i < 4; i++) expect(h.testRc('IOMMU_TEST_OP_MD_CHECK_IOTLB', { id: target.id, iotlb_id: i, iotlb: 0 })).toBe('OK');
    return 'nest_invalidate';
  }

  function vevent(rng: Rng, env: StepEnv): string | null {
    const viommu = pick(rng, env.objs<Viommu>('VIOMMU'));
    if (!viommu || h.vendor !== 'mock') return null;
    let q = viommu.veventqs.get(IOMMU_VEVENTQ_TYPE_SELFTEST);
    if (!q) {
      const r = h.io('IOMMU_VEVENTQ_ALLOC', { viommu_id: viommu.id, type: IOMMU_VEVENTQ_TYPE_SELFTEST, veventq_depth: 4 });
      expect(rc(r)).toBe('OK');
      q = h.ctx.table.get(r.out.out_veventq_id as number, 'VEVENTQ') as Veventq;
    }
    // The mock reports the virt_id the device's vDEVICE had at attach (mdev->vdev_id), even
    // if that vDEVICE was destroyed since.
    const dev = env.objs<Idev>('DEVICE').find((d) => d.hwpt?.type === 'HWPT_NESTED' && d.hwpt.viommu === viommu && attachVirt.has(d.id));
    if (!dev) return 'vevent_none';
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_VEVENT', { dev_id: dev.id })).toBe('OK');
    const recs = veventqRead(q, 4096).records.filter((e) => e.data);
    expect(new DataView(recs[recs.length - 1]!.data!.buffer).getUint32(0, true)).toBe(Number(attachVirt.get(dev.id)));
    return 'vevent';
  }

  function pasidStep(rng: Rng, env: StepEnv): string | null {
    const pdevs = env.stdevs.filter((s) => s.idev.dev.maxPasidLog2);
    if (pdevs.length < 2 && env.stdevs.length < 6) {
      const ioas = pick(rng, env.ioases)!;
      const r = h.test('IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS', { id: ioas.id, dev_flags: MOCK_FLAGS_DEVICE_PASID });
      return r.ok ? 'pasid_dev' : null;
    }
    const st = pick(rng, pdevs);
    if (!st) return null;
    const attached = [...st.idev.igroup.pasidAttach.keys()];
    if (attached.length > 3 || (attached.length && rng.int(3) === 0)) {
      expect(h.testRc('IOMMU_TEST_OP_PASID_DETACH', { id: st.id, pasid: pick(rng, attached) })).toBe('OK');
      return 'pasid_detach';
    }
    const rid = st.idev.hwpt;
    if (rid && !rid.pasidCompat && rng.int(4)) {
      // Move the RID to a PASID-compatible HWPT of the same IOAS (reuse one: HWPTs cost every map a fill).
      const ioas = hwptPagingOf(rid).ioas;
      let compat = env.objs<HwptPaging>('HWPT_PAGING').find((x) => x.ioas === ioas && x.pasidCompat && !x.nestParent)?.id;
      if (compat === undefined) {
        const r = h.io('IOMMU_HWPT_ALLOC', { dev_id: st.idev.id, pt_id: ioas.id, flags: IOMMU_HWPT_ALLOC_PASID });
        expect(rc(r)).toBe('OK');
        compat = r.out.out_hwpt_id as number;
      }
      expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: st.id, pt_id: compat })).toBe('OK');
    }
    const hw = pick(rng, [...env.objs<HwptPaging>('HWPT_PAGING'), ...env.objs<HwptNested>('HWPT_NESTED')]);
    if (!hw) return null;
    const pasid = 1 + rng.int(8);
    let want = 'OK';
    if (st.idev.igroup.pasidAttach.get(pasid)?.devices.has(st.idev)) want = 'EBUSY';
    else if (!hw.pasidCompat || (st.idev.hwpt && !st.idev.hwpt.pasidCompat)) want = 'EINVAL';
    expect(h.testRc('IOMMU_TEST_OP_PASID_ATTACH', { id: st.id, pasid, pt_id: hw.id })).toBe(want);
    return want === 'OK' ? 'pasid_attach' : 'pasid_refused';
  }

  function mapFile(rng: Rng, env: StepEnv): string | null {
    if (memfds.length < 3) memfds.push(h.ctx.mm.memfdCreate(16 * PAGE_SIZE));
    const m = pick(rng, memfds)!;
    const ioas = pick(rng, env.ioases)!;
    const pages = 1 + rng.int(8);
    const start = rng.int(16 - pages + 1) * PAGE_SIZE;
    const fixed = rng.int(2) === 0;
    const iova = BASE + rng.int(WINDOW_PAGES - 8) * PAGE_SIZE;
    const r = h.io('IOMMU_IOAS_MAP_FILE', { ioas_id: ioas.id, flags: fixed ? 7 : 6, fd: m.fd, start, length: pages * PAGE_SIZE, iova: fixed ? iova : 0 });
    const areas = env.ref.get(ioas.id)!;
    if (fixed) {
      const overlap = areas.some((a) => a.iova < iova + pages * PAGE_SIZE && iova < a.iova + a.len);
      expect(rc(r)).toBe(overlap ? 'EEXIST' : 'OK');
    } else expect(rc(r)).toBe('OK');
    if (!r.ok) return 'map_file_refused';
    const at = r.out.iova as number;
    areas.push({ iova: at, len: pages * PAGE_SIZE, uva: m.va + start });
    env.forget(ioas.id, at, pages * PAGE_SIZE);
    return 'map_file';
  }

  function vdevChurn(rng: Rng, env: StepEnv): string | null {
    const st = pick(rng, env.stdevs);
    const viommu = pick(rng, env.objs<Viommu>('VIOMMU'));
    if (!st || !viommu) return null;
    if (st.idev.vdev) {
      // The mock records the vDEVICE's virt_id at attach (mdev->vdev_id): keep it while attached.
      if (st.idev.hwpt?.type === 'HWPT_NESTED' && st.idev.hwpt.viommu) return null;
      expect(h.rc('IOMMU_DESTROY', { id: st.idev.vdev.id })).toBe('OK');
      return 'vdevice_destroy';
    }
    expect(h.rc('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu.id, dev_id: st.idev.id, virt_id: nextVirt++ })).toBe('OK');
    return 'vdevice_alloc';
  }

  /**
   * Keep the state bounded (nesting objects keep IOASes alive, so areas would pile up):
   * unmap everything of a crowded IOAS (IOMMU_IOAS_UNMAP of the whole range), and take
   * down unused nesting objects (vEVENTQs, vDEVICEs of detached devices, nested HWPTs,
   * vIOMMUs, parents) so IOAS destroys succeed again.
   */
  function cleanup(rng: Rng, env: StepEnv): string | null {
    const ioas = pick(rng, env.ioases)!;
    const areas = env.ref.get(ioas.id)!;
    if (areas.length > 80) {
      const total = areas.reduce((n, a) => n + a.len, 0);
      expect(h.unmap(ioas.id, 0, '0xffffffffffffffff')).toEqual({ rc: 'OK', length: total });
      for (const hw of env.objs<HwptPaging>('HWPT_PAGING')) if (hw.ioas === ioas) for (const a of areas) for (let p = a.iova; p < a.iova + a.len; p += PAGE_SIZE) env.written.get(hw)?.delete(p);
      areas.length = 0;
      return 'unmap_all';
    }
    if (rng.int(4)) return null;
    for (const t of ['VEVENTQ', 'VDEVICE', 'HWPT_NESTED', 'VIOMMU', 'HWPT_PAGING'] as const) {
      for (const o of env.objs(t)) {
        if (t === 'VDEVICE' && (o as unknown as { idev: Idev }).idev.hwpt?.type === 'HWPT_NESTED') continue;
        if (t === 'HWPT_PAGING' && !(o as HwptPaging).nestParent) continue;
        expect(h.rc('IOMMU_DESTROY', { id: o.id })).toBe(o.users === 1 ? 'OK' : 'EBUSY');
      }
    }
    return 'nest_cleanup';
  }

  const steps = [nestAlloc, nestAlloc, nestAttach, nestAttach, nestInvalidate, vevent, pasidStep, pasidStep, mapFile, cleanup, vdevChurn, nestAttach];
  return {
    step: (k, rng, env) => (h.vendor !== 'mock' && steps[k] === pasidStep ? mapFile(rng, env) : steps[k]!(rng, env)),
    // VT-d propagates the parent's tracking to nested PASID entries; AMD copies HAD at attach
    // only; SMMUv3 parents never track; the mock's nested domain writes through its parent.
    nestedWriteTracked: (idev) => (h.vendor === 'amd' ? trackedAtAttach.get(idev.id) === true : h.vendor !== 'smmuv3'),
  };
}
