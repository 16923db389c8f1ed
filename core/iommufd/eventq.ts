/**
 * vEVENTQ objects (drivers/iommu/iommufd/eventq.c iommufd_veventq_alloc, driver.c
 * iommufd_viommu_report_event, v6.15): guest-visible events of one type from a vIOMMU,
 * read(2) from an fd as `struct iommufd_vevent_header {flags, sequence}` + event data.
 *  - IOMMU_VEVENTQ_ALLOC: flags, __reserved or type DEFAULT -> EOPNOTSUPP; depth 0 ->
 *    EINVAL; viommu_id -> ENOENT; a queue of that type already on the vIOMMU -> EEXIST;
 *    object -> ENOMEM. The core does not ask the driver about the type.
 *  - report: no queue of the type -> EOPNOTSUPP (dropped); a full queue (num_events ==
 *    depth) queues one LOST_EVENTS header (no data) at the tail instead - it consumes a
 *    sequence number and is replaced when the next event arrives, so the gap in `sequence`
 *    shows how many were lost; sequence counts 0..INT_MAX and wraps to 0.
 */
import { ERRNO } from '../base/errno';
import { IOMMU_VEVENTQ_FLAG_LOST_EVENTS, IOMMU_VEVENTQ_TYPE_DEFAULT, VEVENTQ_SEQUENCE_MASK } from '../uapi/iommufd';
import type { Cmd } from './cmd';
import type { IommufdCtx } from './ctx';
import type { AnyObject, Veventq, Vevent, Viommu } from './objects';

/** sizeof(struct iommufd_vevent_header), bytes. */
export const VEVENT_HEADER_SIZE = 8;

/** IOMMU_VEVENTQ_ALLOC (iommufd_veventq_alloc). */
export function veventqAlloc(ctx: IommufdCtx, cmd: Cmd): number {
  const type = Number(cmd.type);
  if (cmd.flags || cmd.__reserved || type === IOMMU_VEVENTQ_TYPE_DEFAULT) return -ERRNO.EOPNOTSUPP;
  if (!cmd.veventq_depth) return -ERRNO.EINVAL;
  const viommu = ctx.getObj<Viommu>(Number(cmd.viommu_id), 'VIOMMU');
  if (typeof viommu === 'number') return viommu;
  if (viommu.veventqs.has(type)) return -ERRNO.EEXIST;
  const q = ctx.allocObj<Veventq>({ type: 'VEVENTQ', viommu, eventType: type, depth: Number(cmd.veventq_depth), fd: 0, deliver: [], numEvents: 0, sequence: 0 });
  if (typeof q === 'number') return q;
  q.fd = ctx.nextFd++;
  viommu.veventqs.set(type, q);
  viommu.users++;
  ctx.table.finalize(q);
  cmd.out_veventq_id = BigInt(q.id);
  cmd.out_veventq_fd = BigInt(q.fd);
  return 0;
}

/** iommufd_viommu_report_event(viommu, type, data): 0, -EOPNOTSUPP (no queue) or -ENOMEM. */
export function veventReport(ctx: IommufdCtx, viommu: Viommu, type: number, data: Uint8Array): number {
  const q = viommu.veventqs.get(type);
  if (!q) return -ERRNO.EOPNOTSUPP;
  let ev: Vevent;
  if (q.numEvents === q.depth) {
    ev = { flags: IOMMU_VEVENTQ_FLAG_LOST_EVENTS, sequence: 0, data: null };
  } else {
    if (ctx.fail.shouldFail('vevent')) return -ERRNO.ENOMEM;
    ev = { flags: 0, sequence: 0, data: data.slice() };
    q.numEvents++;
  }
  // iommufd_vevent_handler: a LOST_EVENTS header at the tail is replaced.
  const tail = q.deliver[q.deliver.length - 1];
  if (tail && tail.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) q.deliver.pop();
  ev.sequence = q.sequence;
  q.sequence = (q.sequence + 1) & VEVENTQ_SEQUENCE_MASK;
  q.deliver.push(ev);
  return 0;
}

/**
 * read(2) on the vEVENTQ fd with a `count`-byte buffer: whole records (header + data) that
 * fit, oldest first; a normal record leaves the queue (num_events--). Returns the records
 * and the bytes they take.
 */
export function veventqRead(q: Veventq, count: number): { records: Vevent[]; bytes: number } {
  const records: Vevent[] = [];
  let bytes = 0;
  while (q.deliver.length) {
    const ev = q.deliver[0]!;
    const size = VEVENT_HEADER_SIZE + (ev.data?.length ?? 0);
    if (bytes + size > count) break;
    q.deliver.shift();
    if (ev.data) q.numEvents--;
    records.push(ev);
    bytes += size;
  }
  return { records, bytes };
}

/** Destroy hook: the queue leaves its vIOMMU. */
export function registerEventq(ctx: IommufdCtx): void {
  ctx.destroyers.set('VEVENTQ', (o: AnyObject) => {
    const q = o as Veventq;
    if (q.viommu.veventqs.get(q.eventType) === q) q.viommu.veventqs.delete(q.eventType);
    q.viommu.users--;
    q.deliver.length = 0;
  });
}
