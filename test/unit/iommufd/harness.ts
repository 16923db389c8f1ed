/**
 * Test harness for core/iommufd: a ctx on the mock or a vendor platform with a shared
 * fail_nth and table pool, typed call helpers mirroring tools/testing/selftests/iommu/
 * iommufd_utils.h (test_ioctl_ioas_alloc, test_cmd_mock_domain, ...) and a snapshot of
 * everything a failed ioctl must leave unchanged.
 */
import { SimClock } from '../../../core/base/clock';
import type { VendorName } from '../../../core/iommu/registry';
import { MOCK_APERTURE_START } from '../../../core/iommu/mock';

import type { IommufdCtx, IommufdOptions } from '../../../core/iommufd/ctx';
import type { IoctlResult } from '../../../core/iommufd/ioctl';
import { iommufdIoctl } from '../../../core/iommufd/ioctl';
import { openIommufd } from '../../../core/iommufd/platform';
import type { IoctlName } from '../../../core/uapi/iommufd';
import { IOCTL } from '../../../core/uapi/iommufd';
import { TEST_OP } from '../../../core/uapi/iommufd-test';
import type { TestOpName } from '../../../core/uapi/iommufd-test';
import { FailNth, TablePool } from '../../../core/pt';
import type { HwptPaging, Ioas } from '../../../core/iommufd/objects';

export const PAGE_SIZE = 4096;

export { MOCK_APERTURE_START };

/** A ctx plus helpers. */
export class H {
  readonly ctx: IommufdCtx;
  readonly fail = new FailNth();
  readonly pool = new TablePool({ failNth: this.fail });
  readonly clock = new SimClock();

  constructor(readonly vendor: VendorName = 'mock', options: Partial<IommufdOptions> = {}) {
    this.ctx = openIommufd(vendor, { clock: this.clock, fail: this.fail, pool: vendor === 'mock' ? undefined : this.pool, options }).ctx;
  }

  /** Raw ioctl by name. */
  io(name: IoctlName, arg: Record<string, unknown> | null = {}): IoctlResult {
    return iommufdIoctl(this.ctx, IOCTL[name], arg);
  }

  /** Errno name or 'OK'. */
  rc(name: IoctlName, arg: Record<string, unknown> | null = {}): string {
    const r = this.io(name, arg);
    return r.ok ? 'OK' : r.errno;
  }

  /** Call that must succeed; returns out fields as numbers. */
  ok(name: IoctlName, arg: Record<string, unknown> = {}): Record<string, number> {
    const r = this.io(name, arg);
    if (!r.ok) throw new Error(`${name} failed: ${r.errno} ${r.message ?? ''}`);
    return r.out as Record<string, number>;
  }

  test(op: TestOpName, arg: Record<string, unknown> = {}): IoctlResult {
    return this.io('IOMMU_TEST_CMD', { ...arg, op: TEST_OP[op] });
  }

  testRc(op: TestOpName, arg: Record<string, unknown> = {}): string {
    const r = this.test(op, arg);
    return r.ok ? 'OK' : r.errno;
  }

  ioasAlloc(): number {
    return this.ok('IOMMU_IOAS_ALLOC').out_ioas_id!;
  }

  /** test_cmd_mock_domain(_flags): {stdev, hwpt, idev}. */
  mockDomain(ptId: number, devFlags = 0, groupId?: number): { stdev: number; hwpt: number; idev: number } {
    const r = devFlags || groupId ? this.test('IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS', { id: ptId, dev_flags: devFlags, group_id: groupId }) : this.test('IOMMU_TEST_OP_MOCK_DOMAIN', { id: ptId });
    if (!r.ok) throw new Error(`mock domain: ${r.errno}`);
    return { stdev: r.out.out_stdev_id as number, hwpt: r.out.out_hwpt_id as number, idev: r.out.out_idev_id as number };
  }

  mmap(length: number, hugepages = false): number {
    return this.ctx.mm.mmap(length, { hugepages });
  }

  /** Map with READ|WRITE at a fixed IOVA (or auto when iova undefined); returns the IOVA or errno name. */
  map(ioas: number, uva: number, length: number, iova?: number, flags = 6): number | string {
    const r = this.io('IOMMU_IOAS_MAP', { ioas_id: ioas, flags: flags | (iova === undefined ? 0 : 1), user_va: uva, length, iova: iova ?? 0 });
    return r.ok ? (r.out.iova as number) : r.errno;
  }

  unmap(ioas: number, iova: number | string, length: number | string): { rc: string; length: number } {
    const r = this.io('IOMMU_IOAS_UNMAP', { ioas_id: ioas, iova, length });
    return { rc: r.ok ? 'OK' : r.errno, length: r.out.length as number };
  }

  ioas(id: number): Ioas {
    return this.ctx.table.get(id, 'IOAS') as Ioas;
  }

  hwpt(id: number): HwptPaging {
    return this.ctx.table.get(id, 'HWPT_PAGING') as HwptPaging;
  }

  /** Fresh zeroed bitmap buffer of `bytes` (+ PAGE_SIZE slack). */
  bitmapBuf(bytes: number): number {
    return this.ctx.mm.mmap(bytes + 2 * PAGE_SIZE);
  }

  setBits(va: number, nbits: number, bits: Iterable<number>): void {
    const b = new Uint8Array(Math.ceil(nbits / 64) * 8);
    for (const i of bits) b[i >> 3] = b[i >> 3]! | (1 << (i & 7));
    this.ctx.mm.write(va, b);
  }

  zero(va: number, nbits: number): void {
    this.ctx.mm.write(va, new Uint8Array(Math.ceil(nbits / 64) * 8));
  }

  /** Little-endian u32 words copied into fresh user memory; returns the VA. */
  u32s(words: number[], extraBytes: number[] = []): number {
    const b = new Uint8Array(words.length * 4 + extraBytes.length);
    const dv = new DataView(b.buffer);
    words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
    b.set(extraBytes, words.length * 4);
    const va = this.scratch(b.length);
    this.ctx.mm.write(va, b);
    return va;
  }

  private scratchVa = 0;
  private scratchOff = 0;

  /** `n` bytes (<= 4 KiB) of a 256 KiB scratch region used round-robin (64 slots live at once). */
  private scratch(n: number): number {
    if (n > PAGE_SIZE) return this.ctx.mm.mmap(n);
    if (!this.scratchVa) this.scratchVa = this.ctx.mm.mmap(64 * PAGE_SIZE);
    const va = this.scratchVa + this.scratchOff;
    this.scratchOff = (this.scratchOff + PAGE_SIZE) % (64 * PAGE_SIZE);
    return va;
  }

  /** Little-endian u64 words copied into fresh user memory; returns the VA. */
  u64s(words: bigint[]): number {
    const b = new Uint8Array(words.length * 8);
    const dv = new DataView(b.buffer);
    words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
    const va = this.scratch(b.length);
    this.ctx.mm.write(va, b);
    return va;
  }

  /** Set bit indices of a user bitmap. */
  bits(va: number, nbits: number): number[] {
    const b = this.ctx.mm.read(va, Math.ceil(nbits / 8)) as Uint8Array;
    const out: number[] = [];
    for (let i = 0; i < nbits; i++) if ((b[i >> 3]! >> (i & 7)) & 1) out.push(i);
    return out;
  }

  /**
   * Everything a failed ioctl must leave as it was: objects and refcounts, areas, reserved
   * and allowed ranges, alignment, domain linkage and contents, pins, pool occupancy.
   */
  snapshot(): string {
    const objs = this.ctx.table.all().map((o) => `${o.id}:${o.type}:${o.users}:${o.finalized}`);
    const ioases = this.ctx.table.all().filter((o): o is Ioas => o.type === 'IOAS').map((ioas) => {
      const iopt = ioas.iopt;
      const areas = iopt.areas.map((a) => `${a.iova}-${a.last}@${a.startByte}/${a.prot}/${a.storageDomain ? a.storageDomain.tag : '-'}/${a.numAccesses}/${a.pages?.npinned}`);
      const doms = iopt.domains.map((d) => {
        const sig: number[] = [];
        for (const a of iopt.areas) for (let x = a.iova; x <= a.last; x += iopt.iovaAlignment) sig.push(d.ops.iovaToPhys(d, x));
        const entries = (d as unknown as { pfns?: Map<number, number> }).pfns?.size ?? -1;
        return `${d.tag}:${entries}:${d.dirtyTracking}:${sig.join(',')}`;
      });
      return { id: ioas.id, areas, doms, hw: ioas.hwptList.map((h) => h.id), res: iopt.reserved.map((r) => `${r.start}-${r.last}`), allowed: iopt.allowed, align: iopt.iovaAlignment, large: iopt.disableLargePages };
    });
    // Nesting state: vDEVICE / vEVENTQ / HW queue tables per vIOMMU, PASID attachments per device.
    const nest = this.ctx.table.all().map((o) => {
      if (o.type === 'VIOMMU') return `${o.id}:${[...o.vdevs.keys()].join('/')}:${[...o.veventqs.keys()].join('/')}:${[...o.hwQueues.keys()].join('/')}`;
      if (o.type === 'DEVICE') return `${o.id}:${o.hwpt?.id ?? 0}:${[...o.igroup.pasidAttach].map(([p, a]) => `${p}=${a.hwpt.id}`).join('/')}:${o.vdev?.id ?? 0}`;
      return '';
    });
    return JSON.stringify({ objs, ioases, nest, pinned: this.ctx.mm.pinnedPages, vfio: this.ctx.vfioIoas?.id ?? 0 });
  }

  /**
   * Destroy every object (devices first, IOASes last). Afterwards no page may be pinned and
   * the table pool must be back at zero pages: page tables keep empty intermediate tables
   * after an unmap (as iommupt does) and release them when their domain is freed.
   */
  teardown(): { pinned: number; pool: number; objects: number } {
    const order = ['HW_QUEUE', 'VEVENTQ', 'VDEVICE', 'SELFTEST', 'ACCESS', 'HWPT_NESTED', 'VIOMMU', 'HWPT_NESTED', 'HWPT_PAGING', 'FAULT', 'IOAS'];
    // Repeat while something was destroyed (HW queues depend on each other, newest first).
    for (let progress = true; progress; ) {
      progress = false;
      for (const t of order) for (const o of this.ctx.table.all().reverse()) if (o.type === t && o.finalized && this.ctx.destroyUser(o.id) === 0) progress = true;
    }
    // vDEVICE tombstones (ids kept until the ctx closes, v6.16) are not live objects.
    const tombstones = this.ctx.table.all().filter((o) => o.type === 'VDEVICE' && !o.finalized).length;
    return { pinned: this.ctx.mm.pinnedPages, pool: this.pool.inUse, objects: this.ctx.table.size - tombstones };
  }
}
