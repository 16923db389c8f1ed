/**
 * Formatting iommu events as ftrace text, the inverse of ./ftrace.ts, so recorded or
 * imported runs can be diffed against a real kernel trace. Uses the current (6.x) print
 * formats from include/trace/events/iommu.h and the
 * /sys/kernel/tracing/trace line prefix with a 5-character flags column. Timestamps are
 * printed as seconds with 6 decimals (µs), as the kernel does: sub-µs digits are dropped.
 */
import type { FtraceEvent } from './ftrace';

const hex16 = (v: number): string => `0x${v.toString(16).padStart(16, '0')}`;

/** The text after `<event>: ` for one event. */
export function formatFtraceFields(e: FtraceEvent): string {
  switch (e.event) {
    case 'map':
      return `IOMMU: iova=${hex16(e.iova)} - ${hex16(e.iova + e.size)} paddr=${hex16(e.paddr)} size=${e.size}`;
    case 'unmap':
      return `IOMMU: iova=${hex16(e.iova)} - ${hex16(e.iova + e.size)} size=${e.size} unmapped_size=${e.unmappedSize}`;
    case 'io_page_fault':
      return `IOMMU:${e.driver} ${e.device} iova=${hex16(e.iova)} flags=0x${e.flags.toString(16).padStart(4, '0')}`;
    case 'attach_device_to_domain':
    case 'detach_device_from_domain':
      return `IOMMU: device=${e.device}`;
    case 'add_device_to_group':
    case 'remove_device_from_group':
      return `IOMMU: groupID=${e.gid} device=${e.device}`;
  }
}

/** ns → `seconds.micros` as ftrace prints it. */
export function formatFtraceTs(ns: number): string {
  const us = Math.floor(ns / 1000);
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

/** One full trace line. */
export function formatFtraceLine(e: FtraceEvent): string {
  const task = `${e.comm}-${e.pid}`.padStart(16 + 1 + 5);
  const flags = e.irqFlags === '' ? '.....' : e.irqFlags;
  return `${task} [${String(e.cpu).padStart(3, '0')}] ${flags} ${formatFtraceTs(e.ts).padStart(12)}: ${e.event}: ${formatFtraceFields(e)}`;
}

/** The `# tracer: nop` header as /sys/kernel/tracing/trace prints it. */
export function ftraceHeader(entries: number): string {
  return [
    '# tracer: nop',
    '#',
    `# entries-in-buffer/entries-written: ${entries}/${entries}   #P:1`,
    '#',
    '#                                _-----=> irqs-off/BH-disabled',
    '#                               / _----=> need-resched',
    '#                              | / _---=> hardirq/softirq',
    '#                              || / _--=> preempt-depth',
    '#                              ||| / _-=> migrate-disable',
    '#                              |||| /     delay',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |',
  ].join('\n');
}
