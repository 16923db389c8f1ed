/**
 * struct iommufd_access: an in-kernel user (emulated device, e.g. an mdev) that pins pages
 * and reads/writes through an IOAS without an IOMMU domain (drivers/iommu/iommufd/device.c
 * iommufd_access_*, io_pagetable iopt_access_pages / iopt_access_rw). Pins block IOAS
 * unmap until the access's unmap callback releases them: the selftest access (the one
 * modelled here) drops every pin intersecting the unmapped range.
 */
import { ERRNO } from '../base/errno';
import type { IommufdCtx } from './ctx';
import type { IoPagetable, IoptArea } from './io-pagetable';
import { areaStartByte } from './io-pagetable';
import { PAGE_SIZE } from './mm';
import type { Access, AnyObject, Ioas } from './objects';

/** iommufd_access_create + attach to ioas. */
export function accessCreate(ctx: IommufdCtx, ioas: Ioas): Access | number {
  const acc = ctx.allocObj<Access>({ type: 'ACCESS', ioas: null, iovaAlignment: 1, pins: [], nextPinId: 1, unmapDropsPins: true });
  if (typeof acc === 'number') return acc;
  const rc = ioas.iopt.addAccess(acc);
  if (rc) {
    ctx.table.remove(acc);
    return rc;
  }
  acc.ioas = ioas;
  ioas.users++;
  ctx.table.finalize(acc);
  return acc;
}

/** The page index range of [iova, last] inside area. */
function pageRange(area: IoptArea, iova: number, last: number): [number, number] {
  const s = Math.max(iova, area.iova);
  const e = Math.min(last, area.last);
  return [Math.floor(areaStartByte(area, s) / PAGE_SIZE), Math.floor(areaStartByte(area, e) / PAGE_SIZE)];
}

/**
 * iommufd_access_pin_pages: pin [iova, iova+length) through the IOAS. -ENOENT on a hole,
 * -EINVAL while an unmap is in progress, -EPERM for a write pin of a read-only area,
 * -EFAULT / -ENOMEM from pinning. Returns the pin id.
 */
export function accessPin(ctx: IommufdCtx, acc: Access, iova: number, length: number, write: boolean): number {
  if (!acc.ioas) return -ERRNO.EINVAL;
  if (!length) return -ERRNO.EINVAL;
  const iopt = acc.ioas.iopt;
  const last = iova + length - 1;
  const areas = iopt.contigAreas(iova, last);
  if (!areas) return -ERRNO.ENOENT;
  for (const a of areas) {
    if (a.preventAccess) return -ERRNO.EINVAL;
    if (write && !(a.prot & 2)) return -ERRNO.EPERM;
  }
  if (ctx.fail.shouldFail('access_pin')) return -ERRNO.ENOMEM;
  const done: IoptArea[] = [];
  for (const a of areas) {
    const [f, l] = pageRange(a, iova, last);
    const rc = a.pages!.pinRange(f, l, ctx.fail);
    if (rc) {
      for (const d of done) {
        const [df, dl] = pageRange(d, iova, last);
        d.pages!.unpinRange(df, dl);
        d.numAccesses--;
      }
      return rc;
    }
    a.numAccesses++;
    done.push(a);
  }
  const id = acc.nextPinId++;
  acc.pins.push({ id, iova, length });
  return id;
}

/** iommufd_access_unpin_pages for one pin. */
export function accessUnpin(acc: Access, pinId: number): number {
  const i = acc.pins.findIndex((p) => p.id === pinId);
  if (i < 0 || !acc.ioas) return -ERRNO.ENOENT;
  const pin = acc.pins[i]!;
  acc.pins.splice(i, 1);
  const last = pin.iova + pin.length - 1;
  for (const a of acc.ioas.iopt.areasIn(pin.iova, last)) {
    const [f, l] = pageRange(a, pin.iova, last);
    a.pages!.unpinRange(f, l);
    a.numAccesses--;
  }
  return 0;
}

/**
 * iommufd_access_rw: copy between `buf` and the user memory behind [iova, iova+len).
 * -ENOENT on a hole, -EPERM writing a read-only area. Reads fill buf.
 */
export function accessRw(ctx: IommufdCtx, acc: Access, iova: number, buf: Uint8Array, write: boolean): number {
  if (!acc.ioas || !buf.length) return -ERRNO.EINVAL;
  const last = iova + buf.length - 1;
  const areas = acc.ioas.iopt.contigAreas(iova, last);
  if (!areas) return -ERRNO.ENOENT;
  let done = 0;
  for (const a of areas) {
    if (write && !(a.prot & 2)) return -ERRNO.EPERM;
    const s = Math.max(iova, a.iova);
    const e = Math.min(last, a.last);
    const va = a.pages!.uptr + areaStartByte(a, s);
    const n = e - s + 1;
    if (write) {
      const rc = ctx.mm.write(va, buf.subarray(done, done + n));
      if (rc) return rc;
    } else {
      const r = ctx.mm.read(va, n);
      if (typeof r === 'number') return r;
      buf.set(r, done);
    }
    done += n;
  }
  return 0;
}

/** The selftest access unmap callback: drop pins intersecting the range. */
function notifyUnmap(iopt: IoPagetable, iova: number, length: number): void {
  for (const u of [...iopt.accesses]) {
    const acc = u as Access;
    if (!acc.unmapDropsPins) continue;
    for (const p of [...acc.pins]) if (p.iova <= iova + length - 1 && p.iova + p.length - 1 >= iova) accessUnpin(acc, p.id);
  }
}

/** Register the access destroy hook and unmap notifier with the ctx. */
export function registerAccess(ctx: IommufdCtx): void {
  ctx.accessNotify = notifyUnmap;
  ctx.destroyers.set('ACCESS', (o: AnyObject) => {
    const acc = o as Access;
    for (const p of [...acc.pins]) accessUnpin(acc, p.id);
    if (acc.ioas) {
      acc.ioas.iopt.removeAccess(acc);
      acc.ioas.users--;
      acc.ioas = null;
    }
  });
}
