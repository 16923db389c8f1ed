/**
 * Recording imported ftrace events through a Recorder (so an imported kernel trace becomes
 * a run in the store), and turning recorded slices back into FtraceEvents for export.
 *
 * Mapping (event name `iommu:<event>` on track 'domain'; ts = the trace's ns, dur 0):
 *   map   → iova, length = size, paddr          unmap → iova, length = size, unmapped_size
 *   io_page_fault → iova, device, driver, flags  attach/detach → device
 *   add/remove_device_to/from_group → gid, device
 * plus comm, pid, cpu, irq_flags (the line prefix). Markers become 'trace_marker' instants.
 */
import type { ArgValue, Recorder } from './types';
import type { FtraceEvent, FtraceImport } from './ftrace';
import { FTRACE_IOMMU_EVENTS } from './ftrace';

/** Track used for imported kernel events. */
export const FTRACE_TRACK = 'domain';

/** Record every event and marker of an import. Returns the number of slices recorded. */
export function recordFtrace(rec: Recorder, imp: FtraceImport): number {
  if (!rec.enabled) return 0;
  for (const e of imp.events) {
    const a: Record<string, ArgValue> = { comm: e.comm, pid: e.pid, cpu: e.cpu, irq_flags: e.irqFlags };
    switch (e.event) {
      case 'map':
        Object.assign(a, { iova: e.iova, length: e.size, paddr: e.paddr });
        break;
      case 'unmap':
        Object.assign(a, { iova: e.iova, length: e.size, unmapped_size: e.unmappedSize });
        break;
      case 'io_page_fault':
        Object.assign(a, { iova: e.iova, device: e.device, driver: e.driver, flags: e.flags });
        break;
      case 'attach_device_to_domain':
      case 'detach_device_from_domain':
        a.device = e.device;
        break;
      case 'add_device_to_group':
      case 'remove_device_from_group':
        Object.assign(a, { gid: e.gid, device: e.device });
        break;
    }
    rec.instant(FTRACE_TRACK, `iommu:${e.event}`, e.ts, a);
  }
  for (const m of imp.markers) rec.instant('trace_marker', 'tracing_mark_write', m.ts, { text: m.text, comm: m.comm, pid: m.pid, cpu: m.cpu });
  return imp.events.length + imp.markers.length;
}

const num = (v: unknown, d = 0): number => (typeof v === 'number' ? v : d);
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);

/**
 * Rebuild an FtraceEvent from a recorded `iommu:*` slice (name, ts and all its args).
 * Returns null for other names. Missing prefix fields default to comm 'workbench', pid 0, cpu 0.
 */
export function sliceToFtrace(name: string, ts: number, args: Record<string, unknown>, line = 0): FtraceEvent | null {
  const ev = name.startsWith('iommu:') ? name.slice(6) : '';
  if (!(FTRACE_IOMMU_EVENTS as readonly string[]).includes(ev)) return null;
  const common = { line, comm: str(args.comm, 'workbench'), pid: num(args.pid), cpu: num(args.cpu), irqFlags: str(args.irq_flags), ts };
  const iova = num(args.iova);
  switch (ev) {
    case 'map':
      return { ...common, event: 'map', iova, paddr: num(args.paddr), size: num(args.length) };
    case 'unmap':
      return { ...common, event: 'unmap', iova, size: num(args.length), unmappedSize: num(args.unmapped_size, num(args.length)) };
    case 'io_page_fault':
      return { ...common, event: 'io_page_fault', iova, device: str(args.device, 'unknown'), driver: str(args.driver), flags: num(args.flags) };
    case 'add_device_to_group':
    case 'remove_device_from_group':
      return { ...common, event: ev, gid: num(args.gid), device: str(args.device, 'unknown') };
    default:
      return { ...common, event: ev as 'attach_device_to_domain' | 'detach_device_from_domain', device: str(args.device, 'unknown') };
  }
}
