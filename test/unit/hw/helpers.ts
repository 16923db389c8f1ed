/** Shared fixtures for the hardware-model tests. */
import { SimClock } from '../../../core/base/clock';
import type { PagingDomain } from '../../../core/iommu/paging-domain';
import { iotlbGatherInit } from '../../../core/pt';
import type { IommuDirtyBitmap, IovaBitmapSink } from '../../../core/pt/types';
import { IOMMU_READ, IOMMU_WRITE } from '../../../core/pt/types';
import { createIommuSystem } from '../../../core/iommu/registry';
import type { HwSystemOptions, IommuSystem } from '../../../core/iommu/registry';
import type { Device } from '../../../core/iommu/types';
import type { VendorName } from '../../../core/iommu/registry';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../../core/uapi/iommufd';
import { NULL_RECORDER } from '../../../core/trace/types';

export const RW = IOMMU_READ | IOMMU_WRITE;
export const HW_VENDORS = ['amd', 'intel', 'smmuv3'] as const satisfies readonly VendorName[];

export function makeSystem(vendor: VendorName, extra: Partial<HwSystemOptions> = {}): IommuSystem {
  return createIommuSystem(vendor, { clock: new SimClock(), recorder: NULL_RECORDER, ...extra });
}

/** A system with one device attached to a fresh dirty-capable paging domain. */
export function setup(vendor: VendorName, extra: Partial<HwSystemOptions> = {}, devSpec: { ats?: boolean; pri?: boolean } = {}, flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING): { sys: IommuSystem; dev: Device; dom: PagingDomain } {
  const sys = makeSystem(vendor, extra);
  const dev = sys.addDevice({ sid: 0x10, ...devSpec });
  const dom = sys.driver.domainAllocPagingFlags(dev, flags);
  if (typeof dom === 'number') throw new Error(`alloc failed ${dom}`);
  const pd = dom as PagingDomain;
  const rc = pd.ops.attachDev(pd, dev);
  if (rc) throw new Error(`attach failed ${rc}`);
  return { sys, dev, dom: pd };
}

/** Map [iova, iova+size) → paddr with one map_pages call of pgsize pages. */
export function map(dom: PagingDomain, iova: number, paddr: number, size: number, pgsize = 4096, prot = RW): void {
  const mapped = { bytes: 0 };
  const rc = dom.ops.mapPages(dom, iova, paddr, pgsize, size / pgsize, prot, mapped);
  if (rc) throw new Error(`map failed ${rc}`);
}

/** A bitmap sink recording (iova, length) pairs. */
export class ListSink implements IovaBitmapSink {
  readonly records: [number, number][] = [];
  set(iova: number, length: number): void {
    this.records.push([iova, length]);
  }
}

/** read_and_clear_dirty over [iova, iova+size) into a fresh list; optionally flush (iotlb_sync) after. */
export function readDirty(dom: PagingDomain, iova: number, size: number, flush: boolean, flags = 0): { records: [number, number][]; rc: number } {
  const sink = new ListSink();
  const dirty: IommuDirtyBitmap = { bitmap: sink, gather: iotlbGatherInit() };
  const rc = dom.dirtyOps!.readAndClearDirty(dom, iova, size, flags, dirty);
  if (flush) dom.ops.iotlbSync(dom, dirty.gather);
  return { records: sink.records, rc };
}

/** Names of commands logged since index `from`. */
export function cmdNames(sys: IommuSystem, from = 0): string[] {
  return sys.hw!.commands.toArray().slice(from).map((c) => c.name);
}
