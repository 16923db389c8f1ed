/**
 * VFIO type1 container compatibility on the iommufd fd (drivers/iommu/iommufd/
 * vfio_compat.c) plus the dirty-tracking additions of the 2022 RFC's patch 07
 * (docs/rfc-errata.md): VFIO_IOMMU_DIRTY_PAGES START/STOP/GET_BITMAP over every
 * domain of the compat IOAS and VFIO_IOMMU_UNMAP_DMA with
 * VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP. The RFC collected dirty bits during unmap with the
 * driver's unmap_read_dirty (later dropped); here the bits are read and cleared from every
 * domain (one IOTLB sync each) right before the unmap - the "GET_DIRTY then unmap" order
 * the review converged on (§2.5). Type1 (v1) splits areas for partial unmaps: mainline
 * disables large pages for it; with options.splitWithCut the split uses cut_mapping and
 * large pages stay on (§1.5.7).
 */
import { ERRNO } from '../base/errno';
import { IOMMU_READ, IOMMU_WRITE } from '../pt/types';
import type { Cmd, Extra } from './cmd';
import { num } from './cmd';
import type { IommufdCtx } from './ctx';
import { ioptSetDirtyTracking, readAndClearDirtyData } from './dirty';
import type { DirtyReadStats } from './dirty';
import type { IoPagetable } from './io-pagetable';
import { IOVA_MAX } from './io-pagetable';
import { ioptCutIova, ioptMapUserPages, ioptUnmapAll, ioptUnmapIova } from './iopt-map';
import { PAGE_SIZE } from './mm';
import type { Ioas } from './objects';
import { DIRTY_BITMAP_PAGES_MAX, DIRTY_BITMAP_SIZE_MAX, VFIO_API_VERSION, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_UNMAP_FLAG_ALL, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, VFIO_IOMMU_DIRTY_PAGES_FLAG_START, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, VFIO_IOMMU_INFO_CAPS, VFIO_IOMMU_INFO_PGSIZES, VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_UNMAP_ALL } from '../uapi/vfio';

function compatIoas(ctx: IommufdCtx): Ioas | number {
  return ctx.vfioIoas ?? -ERRNO.ENODEV;
}

export function vfioGetApiVersion(): number {
  return VFIO_API_VERSION;
}

/** VFIO_CHECK_EXTENSION: 1 for TYPE1, TYPE1v2 and UNMAP_ALL. */
export function vfioCheckExtension(_ctx: IommufdCtx, cmd: Cmd): number {
  const ext = Number(cmd.arg);
  return ext === VFIO_TYPE1_IOMMU || ext === VFIO_TYPE1v2_IOMMU || ext === VFIO_UNMAP_ALL ? 1 : 0;
}

export function vfioSetIommu(ctx: IommufdCtx, cmd: Cmd): number {
  const type = Number(cmd.arg);
  if (type !== VFIO_TYPE1_IOMMU && type !== VFIO_TYPE1v2_IOMMU) return -ERRNO.EINVAL;
  const ioas = compatIoas(ctx);
  if (typeof ioas === 'number') return ioas;
  if (type === VFIO_TYPE1_IOMMU && !ctx.options.splitWithCut) {
    const rc = ioas.iopt.disableLarge();
    if (rc) return rc;
  }
  ctx.vfioType = type;
  return 0;
}

/** The sizes VFIO reports (iommufd_get_pagesizes): common to all domains, >= alignment. */
function pagesizes(iopt: IoPagetable): number {
  let sizes = 0;
  for (let s = iopt.iovaAlignment; s <= 2 ** 39; s *= 2) {
    if (iopt.disableLargePages && s > PAGE_SIZE) break;
    if (iopt.domains.every((d) => Math.floor(d.pgsizeBitmap / s) % 2 === 1)) sizes += s;
  }
  return sizes || PAGE_SIZE;
}

export function vfioGetInfo(ctx: IommufdCtx, cmd: Cmd, extra: Extra): number {
  if (cmd.argsz < 16n) return -ERRNO.EINVAL;
  const ioas = compatIoas(ctx);
  if (typeof ioas === 'number') return ioas;
  cmd.flags = BigInt(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
  cmd.iova_pgsizes = BigInt(pagesizes(ioas.iopt));
  extra.caps = {
    iova_range: ioas.iopt.iovaRanges().map((r) => ({ start: r.start, end: r.last })),
    migration: { flags: 0, pgsize_bitmap: ioas.iopt.iovaAlignment, max_dirty_bitmap_size: DIRTY_BITMAP_SIZE_MAX },
  };
  return 0;
}

export function vfioMapDma(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.argsz < 32n || cmd.flags & ~BigInt(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) return -ERRNO.EINVAL;
  let prot = 0;
  if (cmd.flags & BigInt(VFIO_DMA_MAP_FLAG_READ)) prot |= IOMMU_READ;
  if (cmd.flags & BigInt(VFIO_DMA_MAP_FLAG_WRITE)) prot |= IOMMU_WRITE;
  const ioas = compatIoas(ctx);
  if (typeof ioas === 'number') return ioas;
  const iova = num(cmd.iova);
  const size = num(cmd.size);
  const vaddr = num(cmd.vaddr);
  if (iova < 0 || size < 0 || vaddr < 0) return -ERRNO.EOVERFLOW;
  return ioptMapUserPages(ioas.iopt, { iova }, vaddr, size, prot, false);
}

/** Shared checks of a type1 bitmap (vfio_bitmap pgsize/size/data) for [iova, iova+size). */
function checkBitmap(ctx: IommufdCtx, iopt: IoPagetable, iova: bigint, size: bigint, pgsize: bigint, bsize: bigint, data: bigint): number {
  if (iova + size - 1n > BigInt(IOVA_MAX) || size === 0n) return -ERRNO.EINVAL;
  if (!ctx.mm.accessOk(num(data), num(bsize))) return -ERRNO.EINVAL;
  if (pgsize === 0n) return -ERRNO.EINVAL;
  let lg = 0n;
  while (!((pgsize >> lg) & 1n)) lg++;
  const npages = size >> lg;
  if (npages === 0n || npages > BigInt(DIRTY_BITMAP_PAGES_MAX) || bsize === 0n || bsize > BigInt(DIRTY_BITMAP_SIZE_MAX)) return -ERRNO.EINVAL;
  if (bsize < ((npages + 63n) / 64n) * 8n) return -ERRNO.EINVAL;
  if (pgsize !== BigInt(iopt.iovaAlignment)) return -ERRNO.EINVAL;
  if (iova % pgsize || size % pgsize) return -ERRNO.EINVAL;
  return 0;
}

/** Read and clear every domain of the IOAS into one user bitmap (domain NULL in the RFC). */
function readAllDomains(ctx: IommufdCtx, iopt: IoPagetable, iova: number, size: number, pgsize: number, data: number, extra: Extra): number {
  const stats: DirtyReadStats = { windows: 0, driverCalls: 0, iotlbSyncs: 0, swallowed: 0 };
  let rc = -ERRNO.EOPNOTSUPP;
  for (const d of iopt.domains) {
    rc = readAndClearDirtyData(ctx, iopt, d, 0, { iova, length: size, page_size: pgsize, data }, stats);
    if (rc) break;
  }
  extra.stats = stats;
  return rc;
}

export function vfioUnmapDma(ctx: IommufdCtx, cmd: Cmd, extra: Extra): number {
  const known = BigInt(VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP);
  if (cmd.argsz < 24n || cmd.flags & ~known) return -ERRNO.EINVAL;
  const ioas = compatIoas(ctx);
  if (typeof ioas === 'number') return ioas;
  const iopt = ioas.iopt;
  let r: { rc: number; unmapped: number };
  if (cmd.flags & BigInt(VFIO_DMA_UNMAP_FLAG_ALL)) {
    if (cmd.iova || cmd.size) return -ERRNO.EINVAL;
    r = ioptUnmapAll(iopt, ctx.accessNotify);
  } else {
    const iova = num(cmd.iova);
    const size = num(cmd.size);
    if (iova < 0 || size < 0) return -ERRNO.EOVERFLOW;
    if (cmd.flags & BigInt(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)) {
      if (cmd.argsz < 48n) return -ERRNO.EINVAL;
      const rc = checkBitmap(ctx, iopt, cmd.iova, cmd.size, cmd.bitmap_pgsize ?? 0n, cmd.bitmap_size ?? 0n, cmd.bitmap_data ?? 0n);
      if (rc) return rc;
    }
    if (ctx.vfioType === VFIO_TYPE1_IOMMU && (iopt.disableLargePages || ctx.options.splitWithCut)) {
      const iovas = iova ? [iova + size - 1, iova - 1] : [iova + size - 1];
      const rc = ioptCutIova(iopt, iovas);
      if (rc) return rc;
    }
    if (cmd.flags & BigInt(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)) {
      const rc = readAllDomains(ctx, iopt, iova, size, num(cmd.bitmap_pgsize), num(cmd.bitmap_data), extra);
      if (rc && rc !== -ERRNO.EOPNOTSUPP) return rc;
      if (rc === -ERRNO.EOPNOTSUPP && iopt.domains.length) return rc;
    }
    r = ioptUnmapIova(iopt, iova, size, ctx.accessNotify);
  }
  if (r.rc) return r.rc;
  cmd.size = BigInt(r.unmapped);
  return 0;
}

export function vfioDirtyPages(ctx: IommufdCtx, cmd: Cmd, extra: Extra): number {
  const all = BigInt(VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP | VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP);
  if (cmd.argsz < 8n || cmd.flags & ~all) return -ERRNO.EINVAL;
  const f = cmd.flags;
  if (f === 0n || (f & (f - 1n)) !== 0n) return -ERRNO.EINVAL;
  const ioas = compatIoas(ctx);
  if (typeof ioas === 'number') return ioas;
  const iopt = ioas.iopt;
  if (f === BigInt(VFIO_IOMMU_DIRTY_PAGES_FLAG_START) || f === BigInt(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)) {
    // iopt_set_dirty_tracking(iopt, NULL, enable): -EOPNOTSUPP with no domains; no rollback.
    let rc = -ERRNO.EOPNOTSUPP;
    for (const d of iopt.domains) {
      rc = ioptSetDirtyTracking(iopt, d, f === BigInt(VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
      if (rc) break;
    }
    return rc;
  }
  if (cmd.argsz < 8n + 40n) return -ERRNO.EINVAL;
  const rc = checkBitmap(ctx, iopt, cmd.iova ?? 0n, cmd.size ?? 0n, cmd.bitmap_pgsize ?? 0n, cmd.bitmap_size ?? 0n, cmd.bitmap_data ?? 0n);
  if (rc) return rc;
  return readAllDomains(ctx, iopt, num(cmd.iova), num(cmd.size), num(cmd.bitmap_pgsize), num(cmd.bitmap_data), extra);
}
