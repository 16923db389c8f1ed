/**
 * struct iommufd_ctx: one open /dev/iommu. Owns the object table, the process mm it pins
 * from, the allocation-failure injector, the platform (IOMMU driver and device factory),
 * the VFIO compat IOAS and the options that select kernel behaviour where the spec leaves
 * a choice. Object lifetime rules live here (IOMMU_DESTROY); attach logic in device.ts.
 */
import { ERRNO } from '../base/errno';
import type { SimClock } from '../base/clock';
import type { Device, IommuDevice } from '../iommu/types';
import type { Recorder } from '../trace/types';
import { NULL_RECORDER } from '../trace/types';
import type { AllocFailInjector } from '../base/fail-nth';
import { NO_FAIL } from '../base/fail-nth';
import { IoPagetable } from './io-pagetable';
import type { AccessNotify } from './iopt-map';
import { ioptUnmapAll } from './iopt-map';
import { Mm } from './mm';
import type { AnyObject, Ioas, ObjType } from './objects';
import { ObjectTable } from './objects';

/** An IOMMU reserved region of a device (struct iommu_resv_region). */
export interface ResvRegion {
  start: number;
  length: number;
  type: 'DIRECT' | 'DIRECT_RELAXABLE' | 'RESERVED' | 'MSI' | 'SW_MSI';
}

/**
 * The IOMMU side a ctx drives: one driver and a factory for devices behind it (the
 * selftest's MOCK_DOMAIN creates a device; vendor platforms create a PCI function).
 */
export interface IommufdPlatform {
  driver: IommuDevice;
  /** Create a device; `flags` are MOCK_FLAGS_DEVICE_* (NO_DIRTY, HUGE_IOVA, PASID). */
  createDevice(flags: number, groupId?: number): Device | number;
  /** Reserved regions of a device (iommu_get_group_resv_regions); none when absent. */
  resvRegions?(dev: Device): ResvRegion[];
  /**
   * iommu_group_has_isolated_msi(group): a MemWr from the device cannot raise an interrupt
   * outside this ctx (interrupt remapping / ITS isolation). True when absent. Not asked
   * for the selftest mock's devices (iommufd_selftest_is_mock_dev skips the check).
   */
  hasIsolatedMsi?(dev: Device): boolean;
}

/**
 * A kernel WARN_ON / dev_warn the simulated code hit: `site` is the kernel function,
 * `message` the condition or the printed text.
 */
export interface IommufdWarning {
  kind: 'WARN_ON' | 'dev_warn';
  site: string;
  message: string;
  /** The device a dev_warn names. */
  dev?: string;
}

/** Behaviour switches (kernel profile). */
export interface IommufdOptions {
  /**
   * Propagate errors of the GET_DIRTY_BITMAP walk (holes, driver -EINVAL). Mainline
   * (v6.7-v6.18) discards iova_bitmap_for_each's result and returns 0: default false.
   */
  propagateDirtyErrors: boolean;
  /** §1.5.7: split areas stored in domains by cut_mapping instead of refusing. Default true. */
  splitWithCut: boolean;
  /** iova_bitmap window in user pages (kernel: 512). */
  bitmapWindowPages: number;
  /**
   * Module parameter iommufd.allow_unsafe_interrupts (default false): bind a device whose
   * group has no isolated MSI with a dev_warn instead of -EPERM.
   */
  allowUnsafeInterrupts: boolean;
  /**
   * What-if: read dirty bitmaps with the 2022 RFC v1 code as posted (exact-area requests, the
   * iommufd_dirty_iter chunking and iommu_dirty_bitmap_record) instead of struct iova_bitmap,
   * with errata E10 (over-walk past `length` into the next area: lost dirties) and E11
   * (unaligned user bitmaps spill past the pinned page). core/iommufd/rfc_dirty.ts. Default false.
   */
  rfcIovaBitmap: boolean;
}

export const DEFAULT_OPTIONS: IommufdOptions = { propagateDirtyErrors: false, splitWithCut: true, bitmapWindowPages: 512, allowUnsafeInterrupts: false, rfcIovaBitmap: false };

/** Options for {@link IommufdCtx}. */
export interface IommufdCtxInit {
  platform: IommufdPlatform;
  clock: SimClock;
  recorder?: Recorder;
  fail?: AllocFailInjector;
  options?: Partial<IommufdOptions>;
  mm?: Mm;
}

/** One iommufd file descriptor. */
export class IommufdCtx {
  readonly table = new ObjectTable();
  readonly platform: IommufdPlatform;
  readonly clock: SimClock;
  readonly recorder: Recorder;
  readonly fail: AllocFailInjector;
  readonly options: IommufdOptions;
  readonly mm: Mm;
  /** IOMMU_OPTION_RLIMIT_MODE: false = per-user accounting, true = per-mm. */
  accountModeMm = false;
  /** IOMMU_VFIO_IOAS target. */
  vfioIoas: Ioas | null = null;
  /** VFIO compat container state (VFIO_SET_IOMMU type; 0 = none). */
  vfioType = 0;
  /** Next pseudo file descriptor for fault queues. */
  nextFd = 100;
  /** Called by io_pagetable unmap for areas with access pins (set by access.ts). */
  accessNotify: AccessNotify | null = null;
  /** Destroy hooks per type, registered by the modules that own the type. */
  readonly destroyers = new Map<ObjType, (obj: AnyObject) => void>();
  /** Every WARN_ON / dev_warn hit so far, oldest first (the kernel log). */
  readonly warnings: IommufdWarning[] = [];

  constructor(init: IommufdCtxInit) {
    this.platform = init.platform;
    this.clock = init.clock;
    this.recorder = init.recorder ?? NULL_RECORDER;
    this.fail = init.fail ?? NO_FAIL;
    this.options = { ...DEFAULT_OPTIONS, ...init.options };
    this.mm = init.mm ?? new Mm(this.fail);
  }

  /**
   * Record a kernel WARN_ON (a driver or iommufd bug the kernel logs with a backtrace) or a
   * dev_warn; also emitted as an instant event `warn` on track `iommufd` when recording.
   */
  warn(kind: IommufdWarning['kind'], site: string, message: string, dev?: Device): void {
    const w: IommufdWarning = { kind, site, message, ...(dev ? { dev: dev.name } : {}) };
    this.warnings.push(w);
    if (this.recorder.enabled) this.recorder.instant('iommufd', 'warn', this.clock.now, { ...w });
  }

  /** iommufd_object_alloc: -ENOMEM on injected failure. */
  allocObj<T extends AnyObject>(init: Omit<T, 'id' | 'users' | 'finalized'>): T | number {
    if (this.fail.shouldFail('iommufd_object')) return -ERRNO.ENOMEM;
    return this.table.insert<T>(init);
  }

  /** iommufd_get_object: the visible object of that id (and type) or -ENOENT. */
  getObj<T extends AnyObject>(id: number, type?: ObjType): T | number {
    const o = this.table.get(id, type);
    return o ? (o as T) : -ERRNO.ENOENT;
  }

  /** IOAS alloc (iommufd_ioas_alloc + iopt_init_table). */
  ioasAlloc(): Ioas | number {
    const env = { mm: this.mm, fail: this.fail, splitWithCut: this.options.splitWithCut };
    const ioas = this.allocObj<Ioas>({ type: 'IOAS', iopt: new IoPagetable(env), hwptList: [] });
    return ioas;
  }

  /**
   * IOMMU_DESTROY semantics (iommufd_object_remove): -ENOENT for unknown ids (0 included),
   * -EBUSY while anything but the table holds a reference.
   */
  destroyUser(id: number): number {
    const obj = this.table.get(id);
    if (!obj) return -ERRNO.ENOENT;
    if (obj.users !== 1) return -ERRNO.EBUSY;
    this.destroyObj(obj);
    return 0;
  }

  /** Remove from the table and run the type's destroy. */
  destroyObj(obj: AnyObject): void {
    if (this.vfioIoas === obj) this.vfioIoas = null;
    this.table.remove(obj);
    if (obj.type === 'IOAS') {
      ioptUnmapAll(obj.iopt, this.accessNotify);
      obj.iopt.removeReservedIova(null);
    }
    this.destroyers.get(obj.type)?.(obj);
  }
}
