/**
 * The slice of the iommu core (drivers/iommu/iommu.c) iommufd calls: iommu_map,
 * iommu_unmap and iommu_pgsize, which split a range into pgsize x pgcount chunks for the
 * driver's map_pages / unmap_pages.
 *
 * Source: drivers/iommu/iommu.c (iommu_pgsize, __iommu_map, __iommu_unmap) as in v6.7-6.17.
 */
import type { IommuDomain } from './types';
import type { IotlbGather } from '../pt/types';
import { ERRNO } from '../base/errno';
import { alignLg2, floorLg2, isAligned, modPow2, or53, pgsizeLg2List, POW2 } from '../base/bits';

/** A fresh struct iommu_iotlb_gather (start = ULONG_MAX, end = 0: empty). */
export function newIotlbGather(): IotlbGather {
  return { start: Number.MAX_SAFE_INTEGER, end: 0, pgsize: 0, freelist: [], queued: false };
}

/** iommu_iotlb_gather_add_range: widen the hull to cover [iova, iova+size). */
export function gatherAddRange(g: IotlbGather, iova: number, size: number): void {
  if (iova < g.start) g.start = iova;
  if (iova + size - 1 > g.end) g.end = iova + size - 1;
}

const lg2Cache = new Map<number, number[]>();
function sizesOf(domain: IommuDomain): number[] {
  let s = lg2Cache.get(domain.pgsizeBitmap);
  if (!s) {
    s = pgsizeLg2List(domain.pgsizeBitmap);
    lg2Cache.set(domain.pgsizeBitmap, s);
  }
  return s;
}

/**
 * iommu_pgsize: the largest page size usable at (iova, paddr) for `size` bytes, and how many
 * of them fit before a larger size becomes possible. Returns null when nothing fits.
 */
export function iommuPgsize(domain: IommuDomain, iova: number, paddr: number, size: number): { pgsize: number; count: number } | null {
  const sizes = sizesOf(domain);
  const addrMerge = or53(paddr, iova);
  const alignLg = addrMerge === 0 ? 64 : alignLg2(addrMerge);
  const maxLg = floorLg2(size);
  let pgLg = -1;
  let nextLg = -1;
  for (const s of sizes) {
    if (s <= maxLg && s <= alignLg) pgLg = s;
  }
  if (pgLg < 0) return null;
  for (const s of sizes) if (s > pgLg) { nextLg = s; break; }
  let sz = size;
  if (nextLg >= 0) {
    const next = POW2[nextLg]!;
    const offset = next - modPow2(addrMerge, nextLg);
    if (modPow2(iova, nextLg) === modPow2(paddr, nextLg) && offset + next <= sz) sz = offset;
  }
  return { pgsize: POW2[pgLg]!, count: Math.floor(sz / POW2[pgLg]!) };
}

/**
 * iommu_map: map [iova, iova+size) to paddr with `prot`. Returns 0 or a negative errno:
 * -EINVAL when iova, paddr or size is not aligned to the smallest page size; the driver's
 * error otherwise (everything this call mapped is unmapped again, as __iommu_map does).
 * `sync = false` is __iommu_map: no iotlb_sync_map (iommu_map_sg syncs once per list).
 */
export function iommuMap(domain: IommuDomain, iova: number, paddr: number, size: number, prot: number, sync = true): number {
  const sizes = sizesOf(domain);
  if (sizes.length === 0) return -ERRNO.ENODEV;
  const min = POW2[sizes[0]!]!;
  if (!isAligned(iova, min) || !isAligned(paddr, min) || !isAligned(size, min)) return -ERRNO.EINVAL;
  if (size === min) {
    // One smallest page (batch_iommu_map_small's case): iommu_pgsize can only pick `min`.
    const one = { bytes: 0 };
    const rc = domain.ops.mapPages(domain, iova, paddr, min, 1, prot, one);
    return rc || !sync ? rc : domain.ops.iotlbSyncMap(domain, iova, size);
  }
  let left = size;
  let cur = iova;
  let pa = paddr;
  let ret = 0;
  const mapped = { bytes: 0 };
  while (left > 0) {
    const pg = iommuPgsize(domain, cur, pa, left);
    if (!pg) {
      ret = -ERRNO.EINVAL;
      break;
    }
    mapped.bytes = 0;
    ret = domain.ops.mapPages(domain, cur, pa, pg.pgsize, pg.count, prot, mapped);
    left -= mapped.bytes;
    cur += mapped.bytes;
    pa += mapped.bytes;
    if (ret) break;
  }
  if (ret) {
    if (size - left > 0) iommuUnmap(domain, iova, size - left);
    return ret;
  }
  return sync ? domain.ops.iotlbSyncMap(domain, iova, size) : 0;
}

/**
 * iommu_unmap: unmap [iova, iova+size) and flush once (iotlb_sync). Returns bytes unmapped;
 * stops at the first hole, as __iommu_unmap does.
 */
export function iommuUnmap(domain: IommuDomain, iova: number, size: number, gather?: IotlbGather): number {
  const g = gather ?? newIotlbGather();
  let unmapped = 0;
  while (unmapped < size) {
    const pg = iommuPgsize(domain, iova + unmapped, iova + unmapped, size - unmapped);
    if (!pg) break;
    const n = domain.ops.unmapPages(domain, iova + unmapped, pg.pgsize, pg.count, g);
    if (!n) break;
    unmapped += n;
  }
  if (!gather) domain.ops.iotlbSync(domain, g);
  return unmapped;
}

/**
 * The domain's optional `iommu_domain_ops.enforce_cache_coherency` (IommuDomainOps,
 * core/iommu/types.ts), bound to its ops object, or undefined when the driver has none.
 */
export function domainEnforceCcOp(domain: IommuDomain): ((domain: IommuDomain) => boolean) | undefined {
  const op = domain.ops.enforceCacheCoherency;
  return op ? op.bind(domain.ops) : undefined;
}

/** phys_addr_t PHYS_ADDR_MAX: "no SW_MSI region" marker of igroup->sw_msi_start. */
export const PHYS_ADDR_MAX = Number.MAX_SAFE_INTEGER;

const msiCookies = new WeakMap<IommuDomain, number>();

/**
 * iommu_get_msi_cookie(domain, base) (drivers/iommu/dma-iommu.c, v6.7-v6.14): give an
 * UNMANAGED (here: PAGING) domain the MSI IOVA cookie at `base`, where
 * iommu_dma_prepare_msi later maps the doorbell pages. -EINVAL for another domain type,
 * -EEXIST when the domain already has a cookie (it can be set once per domain), -ENOMEM.
 * The cookie dies with the domain.
 */
export function iommuGetMsiCookie(domain: IommuDomain, base: number, fail: { shouldFail(site?: string): boolean }): number {
  if (domain.type !== 'PAGING') return -ERRNO.EINVAL;
  if (msiCookies.has(domain)) return -ERRNO.EEXIST;
  if (fail.shouldFail('iommu_dma_cookie')) return -ERRNO.ENOMEM;
  msiCookies.set(domain, base);
  return 0;
}

/** The MSI cookie base of a domain (iommu_dma_cookie msi_iova), undefined when none. */
export function iommuMsiCookie(domain: IommuDomain): number | undefined {
  return msiCookies.get(domain);
}
