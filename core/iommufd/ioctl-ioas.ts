/**
 * IOAS ioctl handlers (drivers/iommu/iommufd/ioas.c, main.c) with the kernel's validation
 * order and errno: IOMMU_DESTROY, IOAS_ALLOC, IOAS_ALLOW_IOVAS, IOAS_COPY,
 * IOAS_IOVA_RANGES, IOAS_MAP, IOAS_UNMAP, IOMMU_OPTION, IOMMU_VFIO_IOAS.
 */
import { ERRNO } from '../base/errno';
import { IOMMU_READ, IOMMU_WRITE } from '../pt/types';
import type { Cmd, Extra } from './cmd';
import { num, readU64s, toUlong, writeU64s } from './cmd';
import type { IommufdCtx } from './ctx';
import type { IovaRange } from './io-pagetable';
import { IOVA_MAX } from './io-pagetable';
import { ioptGetPages, ioptMapPages, ioptMapUserPages, ioptUnmapAll, ioptUnmapIova } from './iopt-map';
import type { Ioas } from './objects';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, IOMMU_OPTION_OP_SET, IOMMU_OPTION_RLIMIT_MODE, IOMMU_VFIO_IOAS_CLEAR, IOMMU_VFIO_IOAS_GET, IOMMU_VFIO_IOAS_SET, U64_MAX } from '../uapi/iommufd';

const ULONG_MAX = U64_MAX;
const MAP_FLAGS = BigInt(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE);

/** conv_iommu_prot. */
function convProt(flags: bigint): number {
  let p = 0;
  if (flags & BigInt(IOMMU_IOAS_MAP_WRITEABLE)) p |= IOMMU_WRITE;
  if (flags & BigInt(IOMMU_IOAS_MAP_READABLE)) p |= IOMMU_READ;
  return p;
}

export function iommufdDestroy(ctx: IommufdCtx, cmd: Cmd): number {
  return ctx.destroyUser(Number(cmd.id));
}

export function ioasAlloc(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.flags) return -ERRNO.EOPNOTSUPP;
  const ioas = ctx.ioasAlloc();
  if (typeof ioas === 'number') return ioas;
  cmd.out_ioas_id = BigInt(ioas.id);
  ctx.table.finalize(ioas);
  return 0;
}

export function ioasAllowIovas(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  const ioas = ctx.getObj<Ioas>(Number(cmd.ioas_id), 'IOAS');
  if (typeof ioas === 'number') return ioas;
  const n = Number(cmd.num_iovas);
  const ranges: IovaRange[] = [];
  for (let i = 0; i < n; i++) {
    const r = readU64s(ctx.mm, num(cmd.allowed_iovas) + i * 16, 2);
    if (typeof r === 'number') return r;
    const [start, last] = r as [bigint, bigint];
    if (start >= last) return -ERRNO.EINVAL;
    if (last > ULONG_MAX) return -ERRNO.EOVERFLOW;
    if (ctx.fail.shouldFail('iopt_allowed')) return -ERRNO.ENOMEM;
    ranges.push({ start: num(start) < 0 ? IOVA_MAX : num(start), last: num(last) < 0 ? IOVA_MAX : num(last) });
  }
  return ioas.iopt.setAllowIova(ranges);
}

export function ioasIovaRanges(ctx: IommufdCtx, cmd: Cmd, extra: Extra): number {
  if (cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  const ioas = ctx.getObj<Ioas>(Number(cmd.ioas_id), 'IOAS');
  if (typeof ioas === 'number') return ioas;
  const max = Number(cmd.num_iovas);
  const ranges = ioas.iopt.iovaRanges();
  const written: { start: string; last: string }[] = [];
  for (let i = 0; i < ranges.length && i < max; i++) {
    const r = ranges[i]!;
    const rc = writeU64s(ctx.mm, num(cmd.allowed_iovas) + i * 16, [toUlong(r.start), toUlong(r.last)]);
    if (rc) return rc;
    written.push({ start: '0x' + toUlong(r.start).toString(16), last: '0x' + toUlong(r.last).toString(16) });
  }
  cmd.num_iovas = BigInt(ranges.length);
  cmd.out_iova_alignment = BigInt(ioas.iopt.iovaAlignment);
  extra.iova_ranges = written;
  // The count and alignment are written back even when the array was too small.
  if (ranges.length > max) return -ERRNO.EMSGSIZE;
  return 0;
}

export function ioasMap(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.flags & ~MAP_FLAGS || cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  if (cmd.iova >= ULONG_MAX || cmd.length >= ULONG_MAX) return -ERRNO.EOVERFLOW;
  if (!(cmd.flags & BigInt(IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))) return -ERRNO.EINVAL;
  const ioas = ctx.getObj<Ioas>(Number(cmd.ioas_id), 'IOAS');
  if (typeof ioas === 'number') return ioas;
  const iova = num(cmd.iova);
  const length = num(cmd.length);
  const uva = num(cmd.user_va);
  if (iova < 0 || length < 0 || uva < 0) return -ERRNO.EOVERFLOW;
  const dst = { iova };
  const rc = ioptMapUserPages(ioas.iopt, dst, uva, length, convProt(cmd.flags), !(cmd.flags & BigInt(IOMMU_IOAS_MAP_FIXED_IOVA)));
  if (rc) return rc;
  cmd.iova = BigInt(dst.iova);
  return 0;
}

export function ioasCopy(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.length >= ULONG_MAX || cmd.src_iova >= ULONG_MAX || cmd.dst_iova >= ULONG_MAX) return -ERRNO.EOVERFLOW;
  if (cmd.flags & ~MAP_FLAGS) return -ERRNO.EOPNOTSUPP;
  const src = ctx.getObj<Ioas>(Number(cmd.src_ioas_id), 'IOAS');
  if (typeof src === 'number') return src;
  const length = num(cmd.length);
  const srcIova = num(cmd.src_iova);
  const dstIova = num(cmd.dst_iova);
  if (length < 0 || srcIova < 0 || dstIova < 0) return -ERRNO.EOVERFLOW;
  const slices = ioptGetPages(src.iopt, srcIova, length);
  if (typeof slices === 'number') return slices;
  const dst = ctx.getObj<Ioas>(Number(cmd.dst_ioas_id), 'IOAS');
  if (typeof dst === 'number') return dst;
  const d = { iova: dstIova };
  const rc = ioptMapPages(dst.iopt, slices, length, d, convProt(cmd.flags), !(cmd.flags & BigInt(IOMMU_IOAS_MAP_FIXED_IOVA)));
  if (rc) return rc;
  cmd.dst_iova = BigInt(d.iova);
  return 0;
}

export function ioasUnmap(ctx: IommufdCtx, cmd: Cmd): number {
  const ioas = ctx.getObj<Ioas>(Number(cmd.ioas_id), 'IOAS');
  if (typeof ioas === 'number') return ioas;
  let r: { rc: number; unmapped: number };
  if (cmd.iova === 0n && cmd.length === U64_MAX) {
    r = ioptUnmapAll(ioas.iopt, ctx.accessNotify);
  } else {
    if (cmd.iova >= ULONG_MAX || cmd.length >= ULONG_MAX) return -ERRNO.EOVERFLOW;
    const iova = num(cmd.iova);
    const length = num(cmd.length);
    if (iova < 0 || length < 0) return -ERRNO.EOVERFLOW;
    r = ioptUnmapIova(ioas.iopt, iova, length, ctx.accessNotify);
  }
  if (r.rc) return r.rc;
  cmd.length = BigInt(r.unmapped);
  return 0;
}

export function iommuOption(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  const op = Number(cmd.op);
  if (cmd.option_id === BigInt(IOMMU_OPTION_RLIMIT_MODE)) {
    if (cmd.object_id) return -ERRNO.EOPNOTSUPP;
    if (op === IOMMU_OPTION_OP_GET) {
      cmd.val64 = ctx.accountModeMm ? 1n : 0n;
      return 0;
    }
    if (op === IOMMU_OPTION_OP_SET) {
      if (ctx.table.size) return -ERRNO.EBUSY;
      if (cmd.val64 === 0n) ctx.accountModeMm = false;
      else if (cmd.val64 === 1n) ctx.accountModeMm = true;
      else return -ERRNO.EINVAL;
      return 0;
    }
    return -ERRNO.EOPNOTSUPP;
  }
  if (cmd.option_id === BigInt(IOMMU_OPTION_HUGE_PAGES)) {
    const ioas = ctx.getObj<Ioas>(Number(cmd.object_id), 'IOAS');
    if (typeof ioas === 'number') return ioas;
    if (op === IOMMU_OPTION_OP_GET) {
      cmd.val64 = ioas.iopt.disableLargePages ? 0n : 1n;
      return 0;
    }
    if (op === IOMMU_OPTION_OP_SET) {
      if (cmd.val64 === 0n) return ioas.iopt.disableLarge();
      if (cmd.val64 === 1n) {
        ioas.iopt.enableLarge();
        return 0;
      }
      return -ERRNO.EINVAL;
    }
    return -ERRNO.EOPNOTSUPP;
  }
  return -ERRNO.EOPNOTSUPP;
}

export function vfioIoas(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  switch (Number(cmd.op)) {
    case IOMMU_VFIO_IOAS_GET:
      if (!ctx.vfioIoas) return -ERRNO.ENODEV;
      cmd.ioas_id = BigInt(ctx.vfioIoas.id);
      return 0;
    case IOMMU_VFIO_IOAS_SET: {
      const ioas = ctx.getObj<Ioas>(Number(cmd.ioas_id), 'IOAS');
      if (typeof ioas === 'number') return ioas;
      ctx.vfioIoas = ioas;
      return 0;
    }
    case IOMMU_VFIO_IOAS_CLEAR:
      ctx.vfioIoas = null;
      return 0;
    default:
      return -ERRNO.EOPNOTSUPP;
  }
}
