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
import type { IommuCap, Device, IommuDomain, IommuDevice, IommuHwInfo } from '../types';
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
  private readonly current = new Map<Device, MockDomain | null>();
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
    const dev: MockDevice = { sid, name: `mock${sid}`, iommu: this, groupId: groupId ?? 0x1000 + sid, ats: false, pri: pasid, maxPasidLog2: pasid ? MOCK_PASID_WIDTH : 0, flags };
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

  /** mock_domain_nop_attach: a dirty-tracking domain refuses a NO_DIRTY device (-EINVAL). */
  attachMock(domain: IommuDomain, dev: Device): number {
    const hooked = this.attachHook?.(domain, dev) ?? 0;
    if (hooked) return hooked;
    if (domain.dirtyOps && (dev as MockDevice).flags & MOCK_FLAGS_DEVICE_NO_DIRTY) return -ERRNO.EINVAL;
    const prev = this.current.get(dev);
    if (prev) prev.devices.delete(dev);
    const m = domain as MockDomain;
    m.devices.add(dev);
    this.current.set(dev, m);
    return 0;
  }

  blockDevice(dev: Device): number {
    const prev = this.current.get(dev);
    if (prev) prev.devices.delete(dev);
    this.current.set(dev, null);
    return 0;
  }

  /** The domain a device translates through (null = blocked). */
  domainOf(dev: Device): IommuDomain | null {
    return this.current.get(dev) ?? null;
  }

  /**
   * Device DMA: every 2 KiB entry of [iova, iova+length) must exist (else -EFAULT and a
   * fault record); writes set the entry's dirty flag while MOCK_DIRTY_TRACK is on.
   */
  dma(dev: Device, _pasid: number, iova: number, length: number, write: boolean): number {
    const dom = this.current.get(dev) ?? null;
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
