/**
 * Import of kernel ftrace text for the `iommu` trace events, as printed by
 * `cat /sys/kernel/tracing/trace` and by `trace-cmd report`.
 *
 * Formats (include/trace/events/iommu.h; test/fixtures/iommu-events.format.txt):
 *   map:   IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu      (current; end = iova + size)
 *          IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu                  (older, e.g. 5.11)
 *   unmap: IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu    (current)
 *          IOMMU: iova=0x%016llx size=%zu unmapped_size=%zu                (older)
 *   io_page_fault: IOMMU:%s %s iova=0x%016llx flags=0x%04x                 (driver, device)
 *   attach_device_to_domain / detach_device_from_domain: IOMMU: device=%s
 *   add_device_to_group / remove_device_from_group: IOMMU: groupID=%d device=%s
 * Line prefix: `<comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <sec>.<usec>: <event>: <text>`; the
 * flags column is 4, 5 or 7 characters in /sys/kernel/tracing/trace and absent in plain
 * `trace-cmd report` output, which also pads the event name with spaces.
 *
 * Never throws: malformed lines become {line, message} errors (1-based line numbers) and
 * are counted. A line wrapped by a mail client (traces pasted into mails) is rejoined with the next line
 * when the join parses. `tracing_mark_write` lines are kept as markers; other events are
 * counted as skipped.
 */

/** Kernel iommu event names this importer understands. */
export const FTRACE_IOMMU_EVENTS = [
  'map',
  'unmap',
  'io_page_fault',
  'attach_device_to_domain',
  'detach_device_from_domain',
  'add_device_to_group',
  'remove_device_from_group',
] as const;
export type FtraceIommuEvent = (typeof FTRACE_IOMMU_EVENTS)[number];

/** Fields common to every parsed line. ts in ns (from the trace clock's seconds.micros). */
interface Common {
  line: number;
  comm: string;
  pid: number;
  cpu: number;
  /** irqs-off/need-resched/... latency column, e.g. '.N...' ('' when absent, as in trace-cmd report). */
  irqFlags: string;
  ts: number;
}

/** One parsed iommu event. Addresses and sizes in bytes. */
export type FtraceEvent = Common &
  (
    | { event: 'map'; iova: number; paddr: number; size: number }
    | { event: 'unmap'; iova: number; size: number; unmappedSize: number }
    | { event: 'io_page_fault'; driver: string; device: string; iova: number; flags: number }
    | { event: 'attach_device_to_domain' | 'detach_device_from_domain'; device: string }
    | { event: 'add_device_to_group' | 'remove_device_from_group'; gid: number; device: string }
  );

/** A `tracing_mark_write` line (workload phase labels in the fixtures). */
export interface FtraceMarker extends Common {
  text: string;
}

export interface FtraceError {
  line: number;
  message: string;
}

export interface FtraceImport {
  events: FtraceEvent[];
  markers: FtraceMarker[];
  errors: FtraceError[];
  /** Lines of other (non-iommu) events. */
  skipped: number;
  /** Lines read (including comments and blanks). */
  lines: number;
}

const PREFIX = /^\s*(.+)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:([^\s\d][^\s]{2,7}|\d{4})\s+)?(\d+)\.(\d+):\s+([\w:]+):\s*(.*)$/;
const HEX = '0x([0-9a-fA-F]{1,16})';
const MAP_NEW = new RegExp(`^IOMMU: iova=${HEX} - ${HEX} paddr=${HEX} size=(\\d+)$`);
const MAP_OLD = new RegExp(`^IOMMU: iova=${HEX} paddr=${HEX} size=(\\d+)$`);
const UNMAP_NEW = new RegExp(`^IOMMU: iova=${HEX} - ${HEX} size=(\\d+) unmapped_size=(\\d+)$`);
const UNMAP_OLD = new RegExp(`^IOMMU: iova=${HEX} size=(\\d+) unmapped_size=(\\d+)$`);
const FAULT = new RegExp(`^IOMMU:(\\S*) (\\S+) iova=${HEX} flags=${HEX}$`);
const DEVICE = /^IOMMU: device=(\S.*)$/;
const GROUP = /^IOMMU: groupID=(-?\d+) device=(\S.*)$/;

class FieldError extends Error {}

function hex(s: string): number {
  const v = parseInt(s, 16);
  if (!Number.isSafeInteger(v)) throw new FieldError(`value 0x${s} exceeds 2^53 (not representable)`);
  return v;
}

function dec(s: string): number {
  const v = Number(s);
  if (!Number.isSafeInteger(v)) throw new FieldError(`value ${s} exceeds 2^53 (not representable)`);
  return v;
}

/** Parse the text after `<event>: `. Returns the typed fields or an error message. */
function parseFields(event: string, text: string): Record<string, number | string> | string {
  let m: RegExpExecArray | null;
  switch (event) {
    case 'map':
      if ((m = MAP_NEW.exec(text))) {
        const [iova, end, paddr, size] = [hex(m[1]), hex(m[2]), hex(m[3]), dec(m[4])];
        if (end !== iova + size) return `map end 0x${m[2]} != iova + size`;
        return { iova, paddr, size };
      }
      if ((m = MAP_OLD.exec(text))) return { iova: hex(m[1]), paddr: hex(m[2]), size: dec(m[3]) };
      return 'map: fields do not match "IOMMU: iova=0x… [- 0x…] paddr=0x… size=N"';
    case 'unmap':
      if ((m = UNMAP_NEW.exec(text))) {
        const [iova, end, size, unmappedSize] = [hex(m[1]), hex(m[2]), dec(m[3]), dec(m[4])];
        if (end !== iova + size) return `unmap end 0x${m[2]} != iova + size`;
        return { iova, size, unmappedSize };
      }
      if ((m = UNMAP_OLD.exec(text))) return { iova: hex(m[1]), size: dec(m[2]), unmappedSize: dec(m[3]) };
      return 'unmap: fields do not match "IOMMU: iova=0x… [- 0x…] size=N unmapped_size=N"';
    case 'io_page_fault':
      if ((m = FAULT.exec(text))) return { driver: m[1], device: m[2], iova: hex(m[3]), flags: hex(m[4]) };
      return 'io_page_fault: fields do not match "IOMMU:<driver> <device> iova=0x… flags=0x…"';
    case 'attach_device_to_domain':
    case 'detach_device_from_domain':
      if ((m = DEVICE.exec(text))) return { device: m[1] };
      return `${event}: fields do not match "IOMMU: device=<name>"`;
    case 'add_device_to_group':
    case 'remove_device_from_group':
      if ((m = GROUP.exec(text))) return { gid: dec(m[1]), device: m[2] };
      return `${event}: fields do not match "IOMMU: groupID=N device=<name>"`;
    default:
      return `unknown iommu event ${event}`;
  }
}

type LineResult = { kind: 'event'; ev: FtraceEvent } | { kind: 'marker'; m: FtraceMarker } | { kind: 'skip' } | { kind: 'error'; message: string; prefixOk: boolean };

function parseLine(text: string, line: number): LineResult {
  try {
    return parseLineUnsafe(text, line);
  } catch (e) {
    // FieldError for out-of-range values; anything else is a bug, but an import must not crash.
    return { kind: 'error', message: e instanceof Error ? e.message : String(e), prefixOk: e instanceof FieldError };
  }
}

function parseLineUnsafe(text: string, line: number): LineResult {
  const m = PREFIX.exec(text);
  if (!m) return { kind: 'error', message: 'not an ftrace event line (expected "<comm>-<pid> [<cpu>] <flags> <sec.usec>: <event>: ...")', prefixOk: false };
  const usec = m[6];
  if (usec.length > 9) return { kind: 'error', message: `timestamp fraction ${usec} has more than 9 digits`, prefixOk: true };
  const ts = dec(m[5]) * 1e9 + Number(usec.padEnd(9, '0'));
  if (!Number.isSafeInteger(ts)) return { kind: 'error', message: `timestamp ${m[5]}.${usec} out of range`, prefixOk: true };
  const common: Common = { line, comm: m[1].trim(), pid: Number(m[2]), cpu: Number(m[3]), irqFlags: m[4] ?? '', ts };
  const event = m[7].startsWith('iommu:') ? m[7].slice(6) : m[7];
  if (event === 'tracing_mark_write') return { kind: 'marker', m: { ...common, text: m[8] } };
  if (!(FTRACE_IOMMU_EVENTS as readonly string[]).includes(event)) return { kind: 'skip' };
  const f = parseFields(event, m[8].trimEnd());
  if (typeof f === 'string') return { kind: 'error', message: f, prefixOk: true };
  return { kind: 'event', ev: { ...common, event, ...f } as FtraceEvent };
}

/** Header and comment lines that are not events: `# ...`, trace-cmd's `cpus=N`, `CPU N is empty`, `version = N`. */
const IGNORABLE = /^\s*(#.*|cpus=\d+|CPU \d+ is empty|version = \S+|)\s*$/;

/** Parse ftrace text. Never throws; see the module comment. */
export function parseFtrace(text: string): FtraceImport {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out: FtraceImport = { events: [], markers: [], errors: [], skipped: 0, lines: lines.length };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (IGNORABLE.test(raw)) continue;
    let r = parseLine(raw, i + 1);
    // A mail-wrapped event: this line's prefix parsed but its fields did not, and the next
    // line is not an event line of its own.
    if (r.kind === 'error' && i + 1 < lines.length && !PREFIX.test(lines[i + 1]) && !IGNORABLE.test(lines[i + 1])) {
      const joined = parseLine(`${raw.trimEnd()} ${lines[i + 1].trim()}`, i + 1);
      if (joined.kind !== 'error') {
        r = joined;
        i++;
      }
    }
    if (r.kind === 'event') out.events.push(r.ev);
    else if (r.kind === 'marker') out.markers.push(r.m);
    else if (r.kind === 'skip') out.skipped++;
    else out.errors.push({ line: i + 1, message: r.message });
  }
  return out;
}
