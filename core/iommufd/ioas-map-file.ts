/**
 * IOMMU_IOAS_MAP_FILE (drivers/iommu/iommufd/ioas.c iommufd_ioas_map_file, v6.13;
 * io_pagetable.c iopt_map_file_pages) and IOMMU_IOAS_CHANGE_PROCESS (v6.14).
 * MAP_FILE order: unknown flags -> EOPNOTSUPP; iova or length >= ULONG_MAX -> EOVERFLOW;
 * neither READABLE nor WRITEABLE -> EINVAL; ioas_id -> ENOENT; fd not open -> EBADF; then
 * the IOAS_MAP path (alignment, EEXIST, ENOSPC, ...). Pinning uses memfd_pin_folios, which
 * takes only shmem / hugetlbfs files: another file (here: an iommufd event fd) or a range
 * past EOF is -EINVAL when the pages are first pinned - in the ioctl if the IOAS has a
 * domain, else at the first attach or access. File descriptors are simulated (Mm.memfdCreate).
 * CHANGE_PROCESS: __reserved -> EOPNOTSUPP; any IOAS area that is not a file map -> EINVAL;
 * else 0 (one simulated process: the pinned-page accounting stays where it is).
 */
import { ERRNO } from '../base/errno';
import { IOMMU_READ, IOMMU_WRITE } from '../pt/types';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, U64_MAX } from '../uapi/iommufd';
import type { Cmd } from './cmd';
import { num } from './cmd';
import type { IommufdCtx } from './ctx';
import { ioptMapFilePages } from './iopt-map';
import type { Ioas } from './objects';

const MAP_FLAGS = BigInt(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE);

/** IOMMU_IOAS_MAP_FILE. */
export function ioasMapFile(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.flags & ~MAP_FLAGS) return -ERRNO.EOPNOTSUPP;
  if (cmd.iova >= U64_MAX || cmd.length >= U64_MAX) return -ERRNO.EOVERFLOW;
  if (!(cmd.flags & BigInt(IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))) return -ERRNO.EINVAL;
  const ioas = ctx.getObj<Ioas>(Number(cmd.ioas_id), 'IOAS');
  if (typeof ioas === 'number') return ioas;
  const fd = Number(BigInt.asIntN(32, cmd.fd));
  const memfd = ctx.mm.memfd(fd);
  // fget(): an iommufd event fd is a file, but not one memfd_pin_folios accepts.
  const otherFile = !memfd && fd >= 100 && fd < ctx.nextFd;
  if (!memfd && !otherFile) return -ERRNO.EBADF;
  const iova = num(cmd.iova);
  const length = num(cmd.length);
  const start = num(cmd.start);
  if (iova < 0 || length < 0 || start < 0) return -ERRNO.EOVERFLOW;
  let prot = 0;
  if (cmd.flags & BigInt(IOMMU_IOAS_MAP_WRITEABLE)) prot |= IOMMU_WRITE;
  if (cmd.flags & BigInt(IOMMU_IOAS_MAP_READABLE)) prot |= IOMMU_READ;
  const dst = { iova };
  const fileVa = memfd ? memfd.va : 0;
  const fileEnd = (): number => (memfd ? memfd.va + memfd.size : -1);
  const rc = ioptMapFilePages(ioas.iopt, dst, fileVa, start, length, fileEnd, prot, !(cmd.flags & BigInt(IOMMU_IOAS_MAP_FIXED_IOVA)));
  if (rc) return rc;
  cmd.iova = BigInt(dst.iova);
  return 0;
}

/** IOMMU_IOAS_CHANGE_PROCESS. */
export function ioasChangeProcess(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  for (const o of ctx.table.all()) {
    if (o.type !== 'IOAS' || !o.finalized) continue;
    for (const a of o.iopt.areas) if (!a.pages?.fileEnd) return -ERRNO.EINVAL;
  }
  return 0;
}
