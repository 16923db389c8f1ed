/** IOAS-side handler table for the dispatcher (ioctl.ts), kept apart to keep files small. */
import type { Cmd, Extra } from './cmd';
import type { IommufdCtx } from './ctx';
import { ioasAlloc, ioasAllowIovas, ioasCopy, ioasIovaRanges, ioasMap, ioasUnmap, iommuOption, iommufdDestroy, vfioIoas } from './ioctl-ioas';
import type { IoctlName } from '../uapi/iommufd';

type Handler = (ctx: IommufdCtx, cmd: Cmd, extra: Extra) => number;

export const ioasAllocHandler: Handler = (ctx, cmd) => ioasAlloc(ctx, cmd);

export const handlers: Partial<Record<IoctlName, Handler>> = {
  IOMMU_DESTROY: (ctx, cmd) => iommufdDestroy(ctx, cmd),
  IOMMU_IOAS_ALLOW_IOVAS: (ctx, cmd) => ioasAllowIovas(ctx, cmd),
  IOMMU_IOAS_COPY: (ctx, cmd) => ioasCopy(ctx, cmd),
  IOMMU_IOAS_IOVA_RANGES: ioasIovaRanges,
  IOMMU_IOAS_MAP: (ctx, cmd) => ioasMap(ctx, cmd),
  IOMMU_IOAS_UNMAP: (ctx, cmd) => ioasUnmap(ctx, cmd),
  IOMMU_OPTION: (ctx, cmd) => iommuOption(ctx, cmd),
  IOMMU_VFIO_IOAS: (ctx, cmd) => vfioIoas(ctx, cmd),
};
