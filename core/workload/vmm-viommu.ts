/**
 * The VMM's vIOMMU set-up (scenario `viommu: true`), as QEMU does it with an iommufd backend
 * and a nesting-capable vIOMMU (intel-iommu x-flts, arm-smmuv3 accel; AMD's is not merged):
 *  1. IOMMU_HWPT_ALLOC(NEST_PARENT | DIRTY_TRACKING) over the guest-RAM IOAS; where the
 *     driver refuses dirty tracking on a nesting parent (SMMUv3: EOPNOTSUPP) it retries with
 *     NEST_PARENT alone and the VM has no IOMMU dirty tracking;
 *  2. each device attached to the parent (boot: the guest's IOMMU is off);
 *  3. the guest turns its IOMMU on and builds its own stage-1 table (VendorEntry.nesting:
 *     VT-d first stage, SMMUv3 S1, AMD v2; x86-64 / VMSAv8-64 4-level, 4 KiB leaves, GIOVA =
 *     GPA over all of guest RAM, as a guest DMA API with a vIOMMU in pass-through-like
 *     identity); the VMM allocates a vIOMMU and a vDEVICE per device where the vendor uses
 *     them, the nested HWPT with the vendor data, and replaces each device's attachment with
 *     it (VFIO_DEVICE_ATTACH_IOMMUFD_PT again);
 *  4. migration later enables dirty tracking on the parent (core/workload/vmm.ts).
 * The guest table lives in guest memory; the model keeps it in its own page pool (base
 * {@link GUEST_TABLE_BASE}) registered with the hardware model (core/hw/nested-walk.ts).
 */
import type { VendorNesting } from '../iommu/system';
import type { IommufdCtx } from '../iommufd';
import { iommufdIoctl } from '../iommufd';
import type { Platform } from '../iommufd/platform';
import { VFIO_DEVICE_ATTACH_IOMMUFD_PT } from '../uapi/vfio';
import { vfioDeviceIoctl, type VfioDeviceFile } from '../iommufd/vfio-cdev';
import { TablePool, createPtIommu } from '../pt';
import { IOCTL, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT } from '../uapi/iommufd';

/** Physical base of the guest's page-table pages in the model (separate from the host pool). */
export const GUEST_TABLE_BASE = 0xe800_0000_0000;

/** Result of {@link setupViommu}. */
export interface ViommuSetup {
  /** The nesting parent HWPT (dirty tracking and bitmaps go here). */
  parentId: number;
  /** The nested HWPT the devices are attached to. */
  nestedId: number;
  /** The parent was allocated with DIRTY_TRACKING (false: the vendor refused it). */
  dirtyTracking: boolean;
  /** errno of the refused NEST_PARENT | DIRTY_TRACKING allocation, when refused. */
  dirtyRefusal: string | null;
}

/**
 * Steps 1-3 above for bound devices `files` (dev ids `devIds`) on `ioasId`.
 * @throws Error naming the failing ioctl and errno.
 */
export function setupViommu(vendor: string, nest: VendorNesting, ctx: IommufdCtx, platform: Platform, ioasId: number, files: VfioDeviceFile[], devIds: number[], guestBytes: number, iommufdOf: (fd: number) => IommufdCtx | undefined): ViommuSetup {
  const io = (name: keyof typeof IOCTL, arg: Record<string, unknown>) => iommufdIoctl(ctx, IOCTL[name], arg);
  const must = (r: ReturnType<typeof io>, what: string): Record<string, number | string> => {
    if (!r.ok) throw new Error(`${vendor}: ${what} failed with ${r.errno}${r.message ? `: ${r.message}` : ''}`);
    return r.out;
  };
  // 1. The nesting parent, with dirty tracking where the driver allows it.
  let r = io('IOMMU_HWPT_ALLOC', { dev_id: devIds[0], pt_id: ioasId, flags: IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING });
  let dirtyRefusal: string | null = null;
  if (!r.ok && r.errno === 'EOPNOTSUPP') {
    dirtyRefusal = r.errno;
    r = io('IOMMU_HWPT_ALLOC', { dev_id: devIds[0], pt_id: ioasId, flags: IOMMU_HWPT_ALLOC_NEST_PARENT });
  }
  const parentId = Number(must(r, 'IOMMU_HWPT_ALLOC(NEST_PARENT)').out_hwpt_id);
  // 2. Boot: devices on the parent.
  files.forEach((df, i) => {
    const a = vfioDeviceIoctl(df, VFIO_DEVICE_ATTACH_IOMMUFD_PT, { pt_id: parentId }, iommufdOf);
    if (!a.ok) throw new Error(`${vendor}: VFIO_DEVICE_ATTACH_IOMMUFD_PT(${devIds[i]}) failed with ${a.errno}`);
  });
  // 3. The guest's own stage-1 table: GIOVA = GPA over guest RAM, 4 KiB leaves.
  const gpt = createPtIommu(nest.s1Format, { pool: new TablePool({ base: GUEST_TABLE_BASE }), levels: nest.s1Levels, pgsizeBitmap: 4096 });
  const rc = gpt.mapPages(0, 0, guestBytes, 3);
  if (rc) throw new Error(`${vendor}: building the guest stage-1 table failed with ${rc}`);
  if (!platform.system.hw) throw new Error(`${vendor}: no hardware model to nest on`);
  platform.system.hw.attachPageTable(gpt);
  let pt = parentId;
  if (nest.viommuType !== null) {
    pt = Number(must(io('IOMMU_VIOMMU_ALLOC', { dev_id: devIds[0], hwpt_id: parentId, type: nest.viommuType }), 'IOMMU_VIOMMU_ALLOC').out_viommu_id);
    devIds.forEach((id, i) => must(io('IOMMU_VDEVICE_ALLOC', { viommu_id: pt, dev_id: id, virt_id: i + 1 }), 'IOMMU_VDEVICE_ALLOC'));
  }
  const data = nest.nestedData(gpt.rootPhys);
  const va = ctx.mm.mmap(data.length);
  ctx.mm.write(va, data);
  const nestedId = Number(must(io('IOMMU_HWPT_ALLOC', { dev_id: devIds[0], pt_id: pt, data_type: nest.dataType, data_len: data.length, data_uptr: va }), 'IOMMU_HWPT_ALLOC(nested)').out_hwpt_id);
  files.forEach((df, i) => {
    const a = vfioDeviceIoctl(df, VFIO_DEVICE_ATTACH_IOMMUFD_PT, { pt_id: nestedId }, iommufdOf);
    if (!a.ok) throw new Error(`${vendor}: VFIO_DEVICE_ATTACH_IOMMUFD_PT(nested, ${devIds[i]}) failed with ${a.errno}`);
  });
  return { parentId, nestedId, dirtyTracking: dirtyRefusal === null, dirtyRefusal };
}
