/**
 * The selftest mock IOMMU driver (drivers/iommu/iommufd/selftest.c, mock_ops), xarray era
 * (<= v6.18): per-device flags NO_DIRTY / HUGE_IOVA / PASID, paging domains with a 2 KiB
 * granule over MOCK_APERTURE, dirty_ops only when allocated with DIRTY_TRACKING, and a
 * software "DMA" that walks the xarray and sets the per-entry dirty flag while tracking is
 * on. Implements the IommuDevice contract (core/iommu/types.ts).
 */
import { ERRNO } from '../../base/errno';
import type { SimClock } from '../../base/clock';
import type { Recorder } from '../../trace/types';
import { NULL_RECORDER } from '../../trace/types';
import type { IommuCap, Device, IommuDomain, IommuDevice, IommuHwInfo, ViommuCore, ViommuOps } from '../types';
import type { UserData } from '../user-data';
import { IOMMU_TEST_DEV_CACHE_DEFAULT, IOMMU_TEST_PASID_RESERVED, MOCK_DEV_CACHE_NUM } from '../../uapi/iommufd-test';
import { MOCK_NESTED_FLAGS, MockNestedDomain, mockAllocNested, mockViommuInit, mockViommuSize } from './nested';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../uapi/iommufd';
import {
  IOMMU_HW_INFO_SELFTEST_REGVAL,
  IOMMU_HW_INFO_TYPE_SELFTEST,
  MOCK_FLAGS_DEVICE_HUGE_IOVA,
  MOCK_FLAGS_DEVICE_NO_DIRTY,
  MOCK_FLAGS_DEVICE_PASID,
  MOCK_HUGE_PAGE_SIZE,
  MOCK_IO_PAGE_SIZE,
  MOCK_PASID_WIDTH,
  MOCK_SIM_FLAGS_DEVICE_CC_BROKEN,
  MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC,
} from './constants';
import { MockDomain } from './domain';

/** A mock device (struct mock_dev). */
export interface MockDevice extends Device {
  /** MOCK_FLAGS_DEVICE_* */
  readonly flags: number;
  /** mdev->cache[MOCK_DEV_CACHE_NUM]: the device cache the mock vIOMMU invalidates. */
  readonly cache: number[];
  /** mdev->viommu / vdev_id: set while attached to a vIOMMU-based nested domain. */
  viommu: ViommuCore | null;
  vdevId: bigint;
  /** PASIDs attached (mock_dev PASID bookkeeping). */
  readonly pasids: Map<number, IommuDomain>;
}

/** Options of {@link MockDriver}. */
export interface MockDriverOptions {
  clock: SimClock;
  recorder?: Recorder;
  /** Shared allocation-failure injector (fail_nth). */
  failNth?: { shouldFail(site?: string): boolean };
}

/** An I/O fault the mock "hardware" raised (translation or blocked). */
export interface MockFault {
  sid: number;
  iova: number;
  write: boolean;
}

/** struct iommu_ops mock_ops. */
export class MockDriver implements IommuDevice {
  readonly vendor = 'mock' as const;
  readonly clock: SimClock;
  readonly recorder: Recorder;
  private readonly fail: { shouldFail(site?: string): boolean };
  private nextSid = 1;
  private nextTag = 1;
  /** Current domain per device (null = blocked). */
  private readonly current = new Map<Device, MockDomain | MockNestedDomain | null>();
  /** Faults raised by dma(), oldest first. */
  readonly faults: MockFault[] = [];
  /**
   * Simulator test hook: when set and it returns non-zero, attach_dev fails with that errno
   * before the mock's own checks (a driver that rejects a domain for a device: -EINVAL
   * "incompatible", -ENODEV, ...). Not in the kernel mock.
   */
  attachHook: ((domain: IommuDomain, dev: Device) => number) | null = null;

  constructor(opts: MockDriverOptions) {
    this.clock = opts.clock;
    this.recorder = opts.recorder ?? NULL_RECORDER;
    this.fail = opts.failNth ?? { shouldFail: () => false };
  }

  /** Create a mock device (mock_dev_create); each device is its own group unless groupId given. */
  createDevice(flags = 0, groupId?: number): MockDevice {
    const sid = this.nextSid++;
    const pasid = (flags & MOCK_FLAGS_DEVICE_PASID) !== 0;
    const dev: MockDevice = {
      sid, name: `mock${sid}`, iommu: this, groupId: groupId ?? 0x1000 + sid, ats: false, pri: pasid, maxPasidLog2: pasid ? MOCK_PASID_WIDTH : 0, flags,
      cache: new Array<number>(MOCK_DEV_CACHE_NUM).fill(IOMMU_TEST_DEV_CACHE_DEFAULT), viommu: null, vdevId: 0n, pasids: new Map(),
    };
    this.current.set(dev, null);
    return dev;
  }

  /**
   * mock_domain_capable: CACHE_COHERENCY always, DIRTY_TRACKING unless NO_DIRTY; nothing else
   * (no ENFORCE_CACHE_COHERENCY) unless the simulator-only MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC.
   */
  capable(dev: Device, cap: IommuCap): boolean {
    const flags = (dev as MockDevice).flags;
    if (cap === 'IOMMU_CAP_CACHE_COHERENCY') return true;
    if (cap === 'IOMMU_CAP_DIRTY_TRACKING') return !(flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
    if (cap === 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY') return (flags & MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC) !== 0;
    return false;
  }

  hwInfo(dev: Device): IommuHwInfo {
    return {
      outDataType: IOMMU_HW_INFO_TYPE_SELFTEST,
      data: { flags: 0, test_reg: IOMMU_HW_INFO_SELFTEST_REGVAL },
      capabilities: this.capable(dev, 'IOMMU_CAP_DIRTY_TRACKING') ? 1 : 0,
    };
  }

  /** mock_domain_alloc_paging_flags: -EOPNOTSUPP for unknown flags or dirty on NO_DIRTY. */
  domainAllocPagingFlags(dev: Device, flags: number): IommuDomain | number {
    const mdev = dev as MockDevice;
    const known = IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID;
    const dirty = (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0;
    if (flags & ~known || (dirty && mdev.flags & MOCK_FLAGS_DEVICE_NO_DIRTY)) return -ERRNO.EOPNOTSUPP;
    if (this.fail.shouldFail('mock_domain')) return -ERRNO.ENOMEM;
    const pgsize = mdev.flags & MOCK_FLAGS_DEVICE_HUGE_IOVA ? MOCK_IO_PAGE_SIZE + MOCK_HUGE_PAGE_SIZE : MOCK_IO_PAGE_SIZE;
    const cc = mdev.flags & MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC ? !(mdev.flags & MOCK_SIM_FLAGS_DEVICE_CC_BROKEN) : null;
    return new MockDomain(this, this.nextTag++, pgsize, dirty, () => this.fail.shouldFail('mock_xa_store'), cc);
  }

  /**
   * mock_domain_nop_attach: a dirty-tracking domain refuses a NO_DIRTY device (-EINVAL); a
   * nested domain allocated from a vIOMMU needs the device's vDEVICE on it (-ENOENT,
   * "Must allocate vdevice before attaching to a nested hwpt") and records it for vEVENTs.
   */
  attachMock(domain: IommuDomain, dev: Device): number {
    const hooked = this.attachHook?.(domain, dev) ?? 0;
    if (hooked) return hooked;
    const mdev = dev as MockDevice;
    if (domain.dirtyOps && mdev.flags & MOCK_FLAGS_DEVICE_NO_DIRTY) return -ERRNO.EINVAL;
    let viommu: ViommuCore | null = null;
    let vdevId = 0n;
    if (domain instanceof MockNestedDomain && domain.viommu) {
      const id = domain.viommu.vdevIdOf(dev);
      if (typeof id === 'number') return id;
      viommu = domain.viommu;
      vdevId = id;
    }
    const prev = this.current.get(dev);
    if (prev) prev.devices.delete(dev);
    (domain as MockDomain | MockNestedDomain).devices.add(dev);
    this.current.set(dev, domain as MockDomain | MockNestedDomain);
    mdev.viommu = viommu;
    mdev.vdevId = vdevId;
    return 0;
  }

  blockDevice(dev: Device): number {
    const prev = this.current.get(dev);
    if (prev) prev.devices.delete(dev);
    this.current.set(dev, null);
    (dev as MockDevice).viommu = null;
    return 0;
  }

  /** The domain a device translates through (null = blocked). */
  domainOf(dev: Device): IommuDomain | null {
    return this.current.get(dev) ?? null;
  }

  /** mock_domain_alloc_nested (parent path): flags other than ALLOC_PASID -> EOPNOTSUPP; a parent that is not a mock paging domain -> EINVAL. */
  domainAllocNested(_dev: Device, parent: IommuDomain, flags: number, data: UserData): IommuDomain | number {
    if (flags & ~MOCK_NESTED_FLAGS) return -ERRNO.EOPNOTSUPP;
    if (!(parent instanceof MockDomain)) return -ERRNO.EINVAL;
    if (this.fail.shouldFail('mock_domain')) return -ERRNO.ENOMEM;
    return mockAllocNested(this, this.nextTag++, parent, data, null);
  }

  getViommuSize(_dev: Device, type: number): number {
    return mockViommuSize(type);
  }

  viommuInit(_dev: Device, _parent: IommuDomain, data: UserData | null, core: ViommuCore): ViommuOps | number {
    return mockViommuInit(this, () => this.nextTag++, data, core);
  }

  devCache(dev: Device): number[] | null {
    return (dev as Partial<MockDevice>).cache ?? null;
  }

  /**
   * mock_domain_set_dev_pasid_nop: a dirty domain on a NO_DIRTY device -> EINVAL; replacing
   * the domain of IOMMU_TEST_PASID_RESERVED (1024) -> ENOMEM (the selftest's designed failure).
   */
  setDevPasidMock(domain: IommuDomain, dev: Device, pasid: number, old: IommuDomain | null): number {
    const mdev = dev as MockDevice;
    if (domain.dirtyOps && mdev.flags & MOCK_FLAGS_DEVICE_NO_DIRTY) return -ERRNO.EINVAL;
    if (pasid === IOMMU_TEST_PASID_RESERVED && old) return -ERRNO.ENOMEM;
    mdev.pasids.set(pasid, domain);
    return 0;
  }

  removeDevPasid(dev: Device, pasid: number): void {
    (dev as MockDevice).pasids.delete(pasid);
  }

  /** TRIGGER_VEVENT: report {virt_id} to the vIOMMU the device's nested domain belongs to; -ENOENT when none. */
  triggerVevent(dev: Device, type: number): number {
    const mdev = dev as MockDevice;
    if (!mdev.viommu) return -ERRNO.ENOENT;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(mdev.vdevId & 0xffff_ffffn), true);
    return mdev.viommu.reportEvent(type, b);
  }

  /**
   * Device DMA: every 2 KiB entry of [iova, iova+length) must exist (else -EFAULT and a
   * fault record); writes set the entry's dirty flag while MOCK_DIRTY_TRACK is on.
   */
  dma(dev: Device, _pasid: number, iova: number, length: number, write: boolean): number {
    const cur = this.current.get(dev) ?? null;
    // A nested mock domain has no stage 1: it translates through its parent.
    const dom = cur instanceof MockNestedDomain ? (cur.parent as MockDomain) : cur;
    const first = Math.floor(iova / MOCK_IO_PAGE_SIZE) * MOCK_IO_PAGE_SIZE;
    for (let cur = first; cur < iova + length; cur += MOCK_IO_PAGE_SIZE) {
      if (!dom || !dom.pfns.has(cur / MOCK_IO_PAGE_SIZE)) {
        this.faults.push({ sid: dev.sid, iova: cur, write });
        if (this.recorder.enabled) this.recorder.instant('hw.fault', 'io_page_fault', this.clock.now, { sid: dev.sid, iova: cur, write });
        return -ERRNO.EFAULT;
      }
      if (write && dom.dirtyTracking) dom.testMarkDirty(cur);
    }
    return 0;
  }
}
