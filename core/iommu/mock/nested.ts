/**
 * The selftest mock's nesting (drivers/iommu/iommufd/selftest.c, v6.13-v6.18): nested
 * domains with a 4-entry "IOTLB" (struct mock_iommu_domain_nested, IOMMU_HWPT_DATA_SELFTEST
 * data {u32 iotlb}), the mock vIOMMU (IOMMU_VIOMMU_TYPE_SELFTEST, optional user data
 * iommu_viommu_selftest echoed back with an mmap region) with cache invalidation of the
 * devices' 4-entry caches, and mock HW queues (IOMMU_HW_QUEUE_TYPE_SELFTEST, at most
 * IOMMU_TEST_HW_QUEUE_MAX, allocated from index 0 up, queue n depending on n - 1).
 * A nested mock domain has no stage-1 table: DMA translates through its parent.
 */
import { ERRNO } from '../../base/errno';
import { IOMMU_HWPT_ALLOC_PASID } from '../../uapi/iommufd';
import {
  IOMMU_HW_QUEUE_TYPE_SELFTEST,
  IOMMU_HWPT_DATA_SELFTEST,
  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
  IOMMU_TEST_HW_QUEUE_MAX,
  IOMMU_TEST_INVALIDATE_FLAG_ALL,
  IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
  IOMMU_VIOMMU_TYPE_SELFTEST,
  MOCK_DEV_CACHE_ID_MAX,
  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX,
  MOCK_NESTED_DOMAIN_IOTLB_NUM,
} from '../../uapi/iommufd-test';
import type { Device, IommuDevice, IommuDirtyOps, IommuDomain, IommuDomainOps, ViommuCore, ViommuOps } from '../types';
import { nestedDomainOps } from '../nested-domain-ops';
import type { UserData, UserDataArray } from '../user-data';
import { iommuCopyFullUserArray, iommuCopyStructFromUser, iommuCopyStructFromUserArray, u32At } from '../user-data';

/** What the nested/vIOMMU code needs of the mock driver. */
export interface MockHost {
  attachMock(domain: IommuDomain, dev: Device): number;
  setDevPasidMock(domain: IommuDomain, dev: Device, pasid: number, old: IommuDomain | null): number;
  /** mdev->cache[] of a mock device. */
  devCache(dev: Device): number[] | null;
}

/** struct mock_iommu_domain_nested. */
export class MockNestedDomain implements IommuDomain {
  readonly type = 'NESTED' as const;
  readonly pt = null;
  readonly devices = new Set<Device>();
  readonly dirtyOps: IommuDirtyOps | null = null;
  dirtyTracking = false;
  readonly iotlb: number[];
  readonly ops: IommuDomainOps = MOCK_NESTED_OPS;

  constructor(
    readonly driver: IommuDevice & MockHost,
    readonly tag: number,
    readonly parent: IommuDomain,
    iotlb: number,
    /** The vIOMMU it was allocated from (mock_viommu), null from a parent HWPT. */
    readonly viommu: ViommuCore | null,
  ) {
    this.iotlb = new Array<number>(MOCK_NESTED_DOMAIN_IOTLB_NUM).fill(iotlb);
  }

  get pgsizeBitmap(): number {
    return this.parent.pgsizeBitmap;
  }

  get geometry() {
    return this.parent.geometry;
  }
}

/**
 * __mock_domain_alloc_nested: type other than IOMMU_HWPT_DATA_SELFTEST -> EOPNOTSUPP;
 * iommu_copy_struct_from_user(min = iotlb): short/long -> EINVAL, bad pointer -> EFAULT.
 */
export function mockAllocNested(host: IommuDevice & MockHost, tag: number, parent: IommuDomain, data: UserData, viommu: ViommuCore | null): IommuDomain | number {
  if (data.type !== IOMMU_HWPT_DATA_SELFTEST) return -ERRNO.EOPNOTSUPP;
  const b = iommuCopyStructFromUser(data, IOMMU_HWPT_DATA_SELFTEST, 4, 4);
  if (typeof b === 'number') return b;
  return new MockNestedDomain(host, tag, parent, u32At(b, 0), viommu);
}

/** Flags a nested alloc passes to the mock (FAULT_ID_VALID already stripped by iommufd). */
export const MOCK_NESTED_FLAGS = IOMMU_HWPT_ALLOC_PASID;

const MOCK_NESTED_OPS: IommuDomainOps = nestedDomainOps({
  attachDev: (domain, dev) => (domain as MockNestedDomain).driver.attachMock(domain, dev),
  iovaToPhys: (domain, iova) => {
    const p = (domain as MockNestedDomain).parent;
    return p.ops.iovaToPhys(p, iova);
  },
  free: () => undefined,
  setDevPasid: (domain, dev, pasid, old) => (domain as MockNestedDomain).driver.setDevPasidMock(domain, dev, pasid, old),
  /**
   * mock_domain_cache_invalidate_user: type other than ..._SELFTEST -> EINVAL (none
   * handled); per entry (iommu_copy_struct_from_user_array, min iotlb_id): copy errno,
   * unknown flags -> EOPNOTSUPP, iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX -> EINVAL, else
   * zero that entry (all with IOMMU_TEST_INVALIDATE_FLAG_ALL).
   */
  cacheInvalidateUser(domain, arr) {
    const d = domain as MockNestedDomain;
    let done = 0;
    let rc = 0;
    if (arr.type !== IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) rc = -ERRNO.EINVAL;
    else {
      for (let i = 0; i < arr.entryNum; i++) {
        const e = iommuCopyStructFromUserArray(arr, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, i, 8, 8);
        if (typeof e === 'number') {
          rc = e;
          break;
        }
        const flags = u32At(e, 0);
        const id = u32At(e, 4);
        if (flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
          rc = -ERRNO.EOPNOTSUPP;
          break;
        }
        if (id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
          rc = -ERRNO.EINVAL;
          break;
        }
        if (flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) d.iotlb.fill(0);
        else d.iotlb[id] = 0;
        done++;
      }
    }
    arr.entryNum = done;
    return rc;
  },
});

/** get_viommu_size of the mock: only IOMMU_VIOMMU_TYPE_SELFTEST. */
export function mockViommuSize(type: number): number {
  return type === IOMMU_VIOMMU_TYPE_SELFTEST ? 1 : 0;
}

/** Fake mmap offsets of mock vIOMMU regions (iommufd_viommu_alloc_mmap), bytes. */
let nextMmapOffset = 0x1000;

/**
 * mock_viommu_init: with user data (struct iommu_viommu_selftest, min out_data) echo
 * in_data to out_data and report an mmap region (offset, PAGE_SIZE); ops for nested
 * domains, cache invalidation and HW queues.
 */
export function mockViommuInit(host: IommuDevice & MockHost, nextTag: () => number, data: UserData | null, core: ViommuCore): ViommuOps | number {
  if (data) {
    const b = iommuCopyStructFromUser(data, IOMMU_VIOMMU_TYPE_SELFTEST, 24, 8);
    if (typeof b === 'number') return b;
    const out = b.slice();
    const dv = new DataView(out.buffer);
    dv.setUint32(4, u32At(b, 0), true);
    dv.setBigUint64(8, BigInt(nextMmapOffset), true);
    dv.setBigUint64(16, 4096n, true);
    nextMmapOffset += 0x1000;
    if (data.mem.write(data.uptr, out.subarray(0, Math.min(24, data.len)))) return -ERRNO.EFAULT;
  }
  const queues = new Set<number>();
  return {
    allocDomainNested: (flags, d) => (flags & ~MOCK_NESTED_FLAGS ? -ERRNO.EOPNOTSUPP : mockAllocNested(host, nextTag(), core.parent, d, core)),
    cacheInvalidate: (arr) => mockViommuCacheInvalidate(host, core, arr),
    getHwQueueSize: (type) => (type === IOMMU_HW_QUEUE_TYPE_SELFTEST ? 1 : 0),
    hwQueueInitPhys: (index) => {
      if (index >= IOMMU_TEST_HW_QUEUE_MAX) return { rc: -ERRNO.EINVAL };
      if (queues.has(index)) return { rc: -ERRNO.EEXIST };
      if (index && !queues.has(index - 1)) return { rc: -ERRNO.EIO };
      queues.add(index);
      return index ? { rc: 0, dependsOn: index - 1 } : { rc: 0 };
    },
    hwQueueDestroy: (index) => void queues.delete(index),
  };
}

/**
 * mock_viommu_cache_invalidate: an empty array of the right type is a probe (0); the whole
 * array is copied first (iommu_copy_struct_from_full_user_array, 12-byte entries); per
 * entry: unknown flags -> EOPNOTSUPP, cache_id > MOCK_DEV_CACHE_ID_MAX -> EINVAL, vdev_id
 * without a vDEVICE -> EINVAL, else zero the device's cache entry (or all).
 */
function mockViommuCacheInvalidate(host: MockHost, core: ViommuCore, arr: UserDataArray): number {
  if (arr.entryNum === 0 && arr.type === IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) return 0;
  const cmds = iommuCopyFullUserArray(arr, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 12);
  if (typeof cmds === 'number') {
    arr.entryNum = 0;
    return cmds;
  }
  let done = 0;
  let rc = 0;
  for (const c of cmds) {
    const flags = u32At(c, 0);
    const vdevId = u32At(c, 4);
    const cacheId = u32At(c, 8);
    if (flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
      rc = -ERRNO.EOPNOTSUPP;
      break;
    }
    if (cacheId > MOCK_DEV_CACHE_ID_MAX) {
      rc = -ERRNO.EINVAL;
      break;
    }
    const dev = core.findDev(BigInt(vdevId));
    const cache = dev ? host.devCache(dev) : null;
    if (!cache) {
      rc = -ERRNO.EINVAL;
      break;
    }
    if (flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) cache.fill(0);
    else cache[cacheId] = 0;
    done++;
  }
  arr.entryNum = done;
  return rc;
}

