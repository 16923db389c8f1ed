/**
 * ioctl(fd, cmd, arg) on an iommufd ctx (drivers/iommu/iommufd/main.c iommufd_fops_ioctl):
 * decode the number, apply the size rules (size < min -> EINVAL, non-zero unknown trailing
 * bytes -> E2BIG, NULL arg -> EFAULT, unknown number -> ENOTTY), run the handler, copy the
 * result back and record the call as a slice on track 'iommufd' named by the ioctl with its
 * struct fields and errno. VFIO type1 numbers go to the compat layer as in the kernel.
 * Errors are values: { ok: false, errno: 'EINVAL', message }.
 */
import type { Errno } from '../base/errno';
import { ERRNO, errnoName } from '../base/errno';
import { eventSpec } from '../trace/events';
import type { ArgValue } from '../trace/types';
import type { Cmd, Extra } from './cmd';
import type { IommufdCtx } from './ctx';
import { faultQueueAlloc, getHwInfo, hwptAlloc, hwptGetDirtyBitmap, hwptSetDirtyTracking } from './ioctl-hwpt';
import { veventqAlloc } from './eventq';
import { hwptInvalidate } from './hwpt-nested';
import { ioasChangeProcess, ioasMapFile } from './ioas-map-file';
import { hwQueueAlloc, vdeviceAlloc, viommuAlloc } from './viommu';
import { ioasAllocHandler, handlers as ioasHandlers } from './ioctl-table';
import { iommufdTest } from './selftest';
import type { IoctlName } from '../uapi/iommufd';
import { IOCTL_NAME, STRUCTS, layoutOf } from '../uapi/iommufd';
import { vfioCheckExtension, vfioDirtyPages, vfioGetApiVersion, vfioGetInfo, vfioMapDma, vfioSetIommu, vfioUnmapDma } from './vfio-compat';

/** A value a user may give for a field: number, bigint, or a decimal / 0x-hex string. */
export type FieldInput = number | bigint | string | boolean;

/** Result of one ioctl. `out` holds every struct field after the call (u64 > 2^53 as hex). */
export type IoctlResult =
  | { ok: true; name: string; ret: number; out: Record<string, number | string>; extra: Extra }
  | { ok: false; name: string; errno: Errno; message?: string; out: Record<string, number | string>; extra: Extra };

type Handler = (ctx: IommufdCtx, cmd: Cmd, extra: Extra) => number;

const HANDLERS: Partial<Record<IoctlName, Handler>> = {
  ...ioasHandlers,
  IOMMU_IOAS_ALLOC: ioasAllocHandler,
  IOMMU_HWPT_ALLOC: hwptAlloc,
  IOMMU_GET_HW_INFO: getHwInfo,
  IOMMU_HWPT_SET_DIRTY_TRACKING: hwptSetDirtyTracking,
  IOMMU_HWPT_GET_DIRTY_BITMAP: hwptGetDirtyBitmap,
  IOMMU_HWPT_INVALIDATE: (ctx, cmd) => hwptInvalidate(ctx, cmd),
  IOMMU_FAULT_QUEUE_ALLOC: faultQueueAlloc,
  IOMMU_IOAS_MAP_FILE: (ctx, cmd) => ioasMapFile(ctx, cmd),
  IOMMU_VIOMMU_ALLOC: (ctx, cmd) => viommuAlloc(ctx, cmd),
  IOMMU_VDEVICE_ALLOC: (ctx, cmd) => vdeviceAlloc(ctx, cmd),
  IOMMU_IOAS_CHANGE_PROCESS: (ctx, cmd) => ioasChangeProcess(ctx, cmd),
  IOMMU_VEVENTQ_ALLOC: (ctx, cmd) => veventqAlloc(ctx, cmd),
  IOMMU_HW_QUEUE_ALLOC: (ctx, cmd) => hwQueueAlloc(ctx, cmd),
  IOMMU_TEST_CMD: iommufdTest,
  VFIO_GET_API_VERSION: () => vfioGetApiVersion(),
  VFIO_CHECK_EXTENSION: vfioCheckExtension,
  VFIO_SET_IOMMU: vfioSetIommu,
  VFIO_IOMMU_GET_INFO: vfioGetInfo,
  VFIO_IOMMU_MAP_DMA: vfioMapDma,
  VFIO_IOMMU_UNMAP_DMA: vfioUnmapDma,
  VFIO_IOMMU_DIRTY_PAGES: vfioDirtyPages,
};

/** Parse a user-supplied field value to a u64 (masked to `bits`). */
export function toU(v: FieldInput | undefined, bits = 64): bigint {
  if (v === undefined) return 0n;
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'boolean') b = v ? 1n : 0n;
  else if (typeof v === 'number') b = BigInt(Math.trunc(v) < 0 ? BigInt.asUintN(64, BigInt(Math.trunc(v))) : Math.trunc(v));
  else b = BigInt(v.trim());
  return BigInt.asUintN(bits, b);
}

function outOf(cmd: Cmd): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(cmd)) out[k] = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : '0x' + v.toString(16);
  return out;
}

/**
 * Record the call as a slice named by the ioctl (catalogue, core/trace/events.ts; every
 * IoctlName must be a catalogue event or this does not compile) with its struct fields and
 * errno; an unknown number as 'unknown_ioctl' with `cmd` in hex. Ioctls without a struct
 * layout (VFIO compat, IOMMU_TEST_CMD) record only the fields the catalogue declares, not
 * whatever keys the caller passed.
 */
function record(ctx: IommufdCtx, name: string, ts: number, cmd: Cmd, errno: string): void {
  if (!ctx.recorder.enabled) return;
  const known = IOCTL_NAME_SET.has(name);
  const ev: IoctlName | 'unknown_ioctl' = known ? (name as IoctlName) : 'unknown_ioctl';
  const keys = known && !STRUCTS[name as IoctlName] ? eventSpec(ev)?.args : undefined;
  const args: Record<string, ArgValue> = known ? {} : { cmd: name };
  for (const [k, v] of Object.entries(cmd)) if (!keys || keys.includes(k)) args[k] = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : '0x' + v.toString(16);
  args.errno = errno;
  ctx.recorder.slice<IoctlName | 'unknown_ioctl'>('iommufd', ev, ts, ctx.clock.now - ts, args);
}

const IOCTL_NAME_SET = new Set<string>(IOCTL_NAME.values());

/**
 * ioctl(iommufd, cmd, arg). `arg` maps field names to values (absent fields are 0, `size`
 * defaults to sizeof); `__tail` (bytes beyond sizeof) models a larger user struct.
 * `null` arg is a NULL user pointer.
 */
export function iommufdIoctl(ctx: IommufdCtx, cmdNr: number, arg: Record<string, unknown> | null): IoctlResult {
  const name = IOCTL_NAME.get(cmdNr) ?? `0x${cmdNr.toString(16)}`;
  const ts = ctx.clock.now;
  const extra: Extra = {};
  const fail = (e: number | Errno, message: string | undefined, cmd: Cmd): IoctlResult => {
    const errno = typeof e === 'number' ? errnoName(e) : e;
    record(ctx, name, ts, cmd, errno);
    return { ok: false, name, errno, message, out: outOf(cmd), extra };
  };
  const handler = HANDLERS[name as IoctlName];
  if (!handler) return fail('ENOTTY', `unknown ioctl ${name}`, {});
  if (arg === null) return fail('EFAULT', 'NULL argument', {});
  const def = STRUCTS[name as IoctlName];
  // Structs without a size field (VFIO, the test-cmd union) read absent fields as zero.
  const cmd: Cmd = def ? {} : new Proxy({} as Cmd, { get: (t, k) => (typeof k === 'string' && !(k in t) ? 0n : t[k as string]) });
  if (def) {
    const lay = layoutOf(def);
    const size = arg.size === undefined ? lay.sizeof : Number(toU(arg.size as FieldInput, 32));
    if (size < lay.minSize) return fail('EINVAL', `size ${size} < min ${lay.minSize}`, { size: BigInt(size) });
    for (const [f, bytes] of def.fields) {
      const o = lay.offsets.get(f)!;
      cmd[f] = f === 'size' ? BigInt(size) : o.off + o.bytes <= size ? toU(arg[f] as FieldInput, bytes * 8) : 0n;
    }
    if (size > lay.sizeof) {
      const tail = (arg.__tail as number[] | undefined) ?? [];
      if (tail.some((b) => b !== 0)) return fail('E2BIG', 'non-zero trailing bytes', cmd);
    }
  } else {
    for (const [k, v] of Object.entries(arg)) if (k !== '__tail' && typeof v !== 'object') cmd[k] = toU(v as FieldInput);
  }
  const rc = handler(ctx, cmd, extra);
  if (rc < 0) return fail(rc, extra.message as string | undefined, cmd);
  record(ctx, name, ts, cmd, 'OK');
  return { ok: true, name, ret: rc, out: outOf(cmd), extra };
}

/** Numeric errno of a result (0 on success). */
export function resultErrno(r: IoctlResult): number {
  return r.ok ? 0 : ERRNO[r.errno];
}
