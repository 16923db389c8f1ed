/**
 * The VFIO device cdev (/dev/vfio/devices/vfioX) as a VMM drives it with iommufd
 * (drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c, v6.6+): VFIO_DEVICE_BIND_IOMMUFD binds
 * the device to an iommufd (iommufd_device_bind) and returns its dev_id;
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT attaches it to an IOAS or HWPT (iommufd_device_attach, or
 * iommufd_device_replace when already attached, as vfio_iommufd_physical_attach_ioas does)
 * and writes back the HWPT used; VFIO_DEVICE_DETACH_IOMMUFD_PT detaches it.
 *
 * VFIO_DEVICE_ATTACH_PASID / VFIO_DEVICE_DETACH_PASID (v6.15) attach, replace or detach one PASID
 * (argsz must cover `pasid`, else EINVAL; iommufd_device_attach/replace/detach with the pasid).
 * Validation order as the kernel: argsz < minsz or unknown flags or iommufd < 0 -> EINVAL;
 * a second bind -> EINVAL; an unknown iommufd -> EBADF; any ioctl but BIND before a bind ->
 * EINVAL (vfio_device_fops_unl_ioctl's access_granted check); unknown numbers -> ENOTTY.
 * Each call is recorded as a slice on track 'vfio' with its fields and errno. Errors are
 * values, like iommufdIoctl's.
 */
import { ERRNO, errnoName } from '../base/errno';
import type { Device } from '../iommu/types';
import type { ArgValue } from '../trace/types';
import {
  VFIO_DEVICE_ATTACH_IOMMUFD_PT,
  VFIO_DEVICE_ATTACH_IOMMUFD_PT_MINSZ,
  VFIO_DEVICE_BIND_IOMMUFD,
  VFIO_DEVICE_BIND_IOMMUFD_MINSZ,
  VFIO_DEVICE_DETACH_IOMMUFD_PT,
  VFIO_DEVICE_DETACH_IOMMUFD_PT_MINSZ,
  VFIO_DEVICE_ATTACH_PASID,
  VFIO_DEVICE_ATTACH_IOMMUFD_PT_PASID_SZ,
  VFIO_DEVICE_DETACH_PASID,
  VFIO_DEVICE_DETACH_IOMMUFD_PT_PASID_SZ,
} from '../uapi/vfio';
import { devicePasidAttach, devicePasidDetach, devicePasidReplace, pasidHwpt } from './device-pasid';
import type { IommufdCtx } from './ctx';
import { deviceAttach, deviceBind, deviceDetach, deviceReplace } from './device';
import type { IoctlResult } from './ioctl';
import type { Idev } from './objects';

/** An open VFIO device cdev file (struct vfio_device_file): the device and its iommufd binding. */
export class VfioDeviceFile {
  /** iommufd the device is bound to (df->iommufd), null before VFIO_DEVICE_BIND_IOMMUFD. */
  ctx: IommufdCtx | null = null;
  idev: Idev | null = null;
  /** vdev->iommufd_attached. */
  attached = false;
  constructor(readonly dev: Device) {}
}

type VfioDeviceIoctl = 'VFIO_DEVICE_BIND_IOMMUFD' | 'VFIO_DEVICE_ATTACH_IOMMUFD_PT' | 'VFIO_DEVICE_DETACH_IOMMUFD_PT';

const NAMES = new Map<number, VfioDeviceIoctl>([
  [VFIO_DEVICE_BIND_IOMMUFD, 'VFIO_DEVICE_BIND_IOMMUFD'],
  [VFIO_DEVICE_ATTACH_IOMMUFD_PT, 'VFIO_DEVICE_ATTACH_IOMMUFD_PT'],
  [VFIO_DEVICE_DETACH_IOMMUFD_PT, 'VFIO_DEVICE_DETACH_IOMMUFD_PT'],
]);

/**
 * ioctl(vfio device fd, cmd, arg). `arg` holds the struct fields as numbers (`argsz`
 * defaults to the struct size). `iommufdOf` resolves the `iommufd` field of a bind (a file
 * descriptor of the calling process) to its ctx, undefined for a bad fd.
 */
export function vfioDeviceIoctl(df: VfioDeviceFile, cmd: number, arg: Record<string, number>, iommufdOf: (fd: number) => IommufdCtx | undefined): IoctlResult {
  const name: string = NAMES.get(cmd) ?? `0x${cmd.toString(16)}`;
  const out: Record<string, number> = { ...arg };
  const ctx0 = df.ctx ?? (cmd === VFIO_DEVICE_BIND_IOMMUFD ? iommufdOf(arg.iommufd ?? -1) : undefined);
  const ts = ctx0?.clock.now ?? 0;
  const done = (rc: number, message?: string): IoctlResult => {
    const errno = rc < 0 ? errnoName(rc) : 'OK';
    if (ctx0?.recorder.enabled) {
      // Catalogue events on track 'vfio'; an unknown number as vfio_unknown_ioctl with `cmd`.
      const known = NAMES.get(cmd);
      const args: Record<string, ArgValue> = known ? { device: df.dev.name, ...out, errno } : { device: df.dev.name, cmd: name, errno };
      ctx0.recorder.slice<VfioDeviceIoctl | 'vfio_unknown_ioctl'>('vfio', known ?? 'vfio_unknown_ioctl', ts, ctx0.clock.now - ts, args);
    }
    return rc < 0 ? { ok: false, name, errno: errnoName(rc), message, out, extra: {} } : { ok: true, name, ret: 0, out, extra: {} };
  };
  if (!NAMES.has(cmd)) return done(-ERRNO.ENOTTY, `unknown VFIO device ioctl ${name}`);
  const flags = arg.flags ?? 0;
  if (cmd === VFIO_DEVICE_BIND_IOMMUFD) {
    const argsz = (out.argsz = arg.argsz ?? VFIO_DEVICE_BIND_IOMMUFD_MINSZ);
    const fd = arg.iommufd ?? -1;
    if (argsz < VFIO_DEVICE_BIND_IOMMUFD_MINSZ || flags !== 0 || fd < 0) return done(-ERRNO.EINVAL, 'argsz, flags or iommufd invalid');
    if (df.idev) return done(-ERRNO.EINVAL, 'device already bound');
    const ctx = iommufdOf(fd);
    if (!ctx) return done(-ERRNO.EBADF, `fd ${fd} is not an iommufd`);
    const idev = deviceBind(ctx, df.dev);
    if (typeof idev === 'number') return done(idev, 'iommufd_device_bind failed');
    df.ctx = ctx;
    df.idev = idev;
    out.out_devid = idev.id;
    return done(0);
  }
  // vfio_device_fops_unl_ioctl: nothing but BIND before access is granted.
  if (!df.idev || !df.ctx) return done(-ERRNO.EINVAL, 'device not bound to an iommufd');
  if (cmd === VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
    const withPasid = (flags & VFIO_DEVICE_ATTACH_PASID) !== 0;
    const argsz = (out.argsz = arg.argsz ?? (withPasid ? VFIO_DEVICE_ATTACH_IOMMUFD_PT_PASID_SZ : VFIO_DEVICE_ATTACH_IOMMUFD_PT_MINSZ));
    if (argsz < VFIO_DEVICE_ATTACH_IOMMUFD_PT_MINSZ || flags & ~VFIO_DEVICE_ATTACH_PASID) return done(-ERRNO.EINVAL, 'argsz or flags invalid');
    if (withPasid) {
      // vfio_df_ioctl_attach_pt: the pasid field must be inside argsz; attaching an attached PASID replaces.
      if (argsz < VFIO_DEVICE_ATTACH_IOMMUFD_PT_PASID_SZ) return done(-ERRNO.EINVAL, 'argsz does not cover pasid');
      const pasid = arg.pasid ?? 0;
      const r = pasidHwpt(df.idev, pasid) ? devicePasidReplace(df.ctx, df.idev, pasid, arg.pt_id ?? 0) : devicePasidAttach(df.ctx, df.idev, pasid, arg.pt_id ?? 0);
      if (r.rc) return done(r.rc, 'iommufd PASID attach failed');
      out.pt_id = r.ptId;
      return done(0);
    }
    const r = df.attached ? deviceReplace(df.ctx, df.idev, arg.pt_id ?? 0) : deviceAttach(df.ctx, df.idev, arg.pt_id ?? 0);
    if (r.rc) return done(r.rc, df.attached ? 'iommufd_device_replace failed' : 'iommufd_device_attach failed');
    df.attached = true;
    out.pt_id = r.ptId;
    return done(0);
  }
  const withPasid = (flags & VFIO_DEVICE_DETACH_PASID) !== 0;
  const argsz = (out.argsz = arg.argsz ?? (withPasid ? VFIO_DEVICE_DETACH_IOMMUFD_PT_PASID_SZ : VFIO_DEVICE_DETACH_IOMMUFD_PT_MINSZ));
  if (argsz < VFIO_DEVICE_DETACH_IOMMUFD_PT_MINSZ || flags & ~VFIO_DEVICE_DETACH_PASID) return done(-ERRNO.EINVAL, 'argsz or flags invalid');
  if (withPasid) {
    if (argsz < VFIO_DEVICE_DETACH_IOMMUFD_PT_PASID_SZ) return done(-ERRNO.EINVAL, 'argsz does not cover pasid');
    devicePasidDetach(df.ctx, df.idev, arg.pasid ?? 0);
    return done(0);
  }
  if (df.attached) deviceDetach(df.ctx, df.idev);
  df.attached = false;
  return done(0);
}
