import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseFtrace } from '../../../core/trace/ftrace';

const FIX = new URL('../../fixtures/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIX), 'utf8');

describe('ftrace import', () => {
  test.each([
    ['intel-vtd-nvme.trace.txt', { map: 20767, unmap: 2657, attach_device_to_domain: 6, add_device_to_group: 6 }],
    ['smmuv3-nvme.trace.txt', { map: 12325, unmap: 2626, attach_device_to_domain: 1, add_device_to_group: 1 }],
  ])('fixture %s imports with zero errors', (file, counts) => {
    const r = parseFtrace(fixture(file));
    expect(r.errors).toEqual([]);
    const by: Record<string, number> = {};
    for (const e of r.events) by[e.event] = (by[e.event] ?? 0) + 1;
    expect(by).toEqual(counts);
    expect(r.markers.length).toBe(17);
    expect(r.markers[0].text).toBe('phase=insmod');
    // Every unmap covers exactly live pages in these traces (fixtures/README.md).
    for (const e of r.events) if (e.event === 'unmap') expect(e.unmappedSize).toBe(e.size);
  });

  test('current, old and mail-wrapped formats (include/trace/events/iommu.h, 6.x and older)', () => {
    const text = [
      '  gem_exec_gttfil-1010    [004] .N...    50.126420: map: IOMMU: iova=0x00003fffffc00000 - 0x0000400000000000 paddr=0x00000001b9400000 size=4194304',
      '   (udev-worker)-532     [010] .....     4.878076: map: IOMMU: iova=0x00000000fe980000 -',
      '0x00000000fea00000 paddr=0x000000010ec80000 size=524288',
      'irq/26-AMD-Vi-154     [006] .....   327.753942: io_page_fault: IOMMU:ath12k_pci',
      '0000:c2:00.0 iova=0x00000000fe980000 flags=0x0001',
      '  foo-1 [000] ....  1.000002: unmap: IOMMU: iova=0x0000000ffff36000 size=4096 unmapped_size=4096',
      '  kworker/u2:1-24    [000]     8.281767: iommu:map:       IOMMU: iova=0x00000000fffff000 paddr=0x0000000020f86000 size=4096',
    ].join('\n');
    const r = parseFtrace(text);
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => [e.line, e.event, e.comm, e.pid, e.ts])).toEqual([
      [1, 'map', 'gem_exec_gttfil', 1010, 50_126_420_000],
      [2, 'map', '(udev-worker)', 532, 4_878_076_000],
      [4, 'io_page_fault', 'irq/26-AMD-Vi', 154, 327_753_942_000],
      [6, 'unmap', 'foo', 1, 1_000_002_000],
      [7, 'map', 'kworker/u2:1', 24, 8_281_767_000],
    ]);
    expect(r.events[0]).toMatchObject({ iova: 0x3fffffc00000, paddr: 0x1b9400000, size: 4194304, irqFlags: '.N...' });
    expect(r.events[2]).toMatchObject({ driver: 'ath12k_pci', device: '0000:c2:00.0', iova: 0xfe980000, flags: 1 });
    expect(r.events[3]).toMatchObject({ iova: 0xffff36000, size: 4096, unmappedSize: 4096 });
    expect(r.events[4]).toMatchObject({ irqFlags: '' });
  });

  test('trace-cmd report output (no flags column, padded event names, header lines)', () => {
    const text = [
      'version = 6',
      'cpus=2',
      'CPU 1 is empty',
      '    kworker/u2:1-24    [000]     8.281767: map:                  IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x0000000020f86000 size=4096',
      '          <idle>-0     [000]     8.310962: unmap:                IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 size=4096 unmapped_size=4096',
      '          insmod-101   [001]     6.171475: add_device_to_group:  IOMMU: groupID=0 device=0000:00:01.0',
    ].join('\n');
    const r = parseFtrace(text);
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => [e.line, e.event, e.comm, e.cpu, e.irqFlags])).toEqual([
      [4, 'map', 'kworker/u2:1', 0, ''],
      [5, 'unmap', '<idle>', 0, ''],
      [6, 'add_device_to_group', 'insmod', 1, ''],
    ]);
  });

  test('malformed lines are errors with line numbers and never stop the import', () => {
    const text = [
      '# tracer: nop',
      'garbage here',
      '  a-1 [000] .... 1.000001: map: IOMMU: iova=0x1000 - 0x3000 paddr=0x0 size=4096',
      '  a-1 [000] .... 1.000002: unmap: IOMMU: iova=0xzz size=1 unmapped_size=1',
      '  a-1 [000] .... 1.000003: map: IOMMU: iova=0xffffffffffffffff paddr=0x0 size=4096',
      '  a-1 [000] .... 1.000004: sched_switch: prev=a next=b',
      '  a-1 [000] .... 1.000005: attach_device_to_domain: IOMMU: device=0000:00:02.0',
    ].join('\n');
    const r = parseFtrace(text);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 5]);
    expect(r.errors[1].message).toMatch(/end/);
    expect(r.errors[3].message).toMatch(/2\^53/);
    expect(r.skipped).toBe(1);
    expect(r.events.map((e) => e.event)).toEqual(['attach_device_to_domain']);
  });

  test('fuzz: arbitrary text never throws and every line is accounted for', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.constantFrom(
        '  a-1 [000] .... 1.000001: map: IOMMU: iova=0x1000 - 0x2000 paddr=0x0 size=4096',
        '  a-1 [000] .... 1.000002: unmap: IOMMU: iova=0x1000 - 0x2000 size=4096 unmapped_size=4096',
        'irq-2 [001] d.h1. 3.5: io_page_fault: IOMMU:drv 0000:00:01.0 iova=0x10 flags=0x0001',
        '0x0000 paddr=0x1',
        '# comment',
      ),
      fc.tuple(fc.string({ maxLength: 20 }), fc.nat(), fc.nat(999), fc.string({ maxLength: 10 }), fc.string({ maxLength: 60 })).map(
        ([comm, pid, cpu, ev, rest]) => `${comm}-${pid} [${String(cpu).padStart(3, '0')}] ..... 1.000001: ${ev}: ${rest}`,
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const r = parseFtrace(lines.join('\n'));
        expect(r.lines).toBe(lines.length === 0 ? 0 : lines.join('\n').split(/\r?\n/).filter((_, i, a) => i < a.length - 1 || a[i] !== '').length);
        for (const e of r.errors) expect(e.line).toBeGreaterThanOrEqual(1);
        expect(r.events.length + r.markers.length + r.errors.length + r.skipped).toBeLessThanOrEqual(r.lines);
        for (const e of r.events) expect(Number.isSafeInteger(e.ts)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('fuzz: generated valid map/unmap lines parse back to the same values', () => {
    const hex = (v: number) => `0x${v.toString(16).padStart(16, '0')}`;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 }), fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.boolean(), (iova, size, paddr, old) => {
        const map = old
          ? `  t-7 [002] d..1. 12.345678: map: IOMMU: iova=${hex(iova)} paddr=${hex(paddr)} size=${size}`
          : `  t-7 [002] d..1. 12.345678: map: IOMMU: iova=${hex(iova)} - ${hex(iova + size)} paddr=${hex(paddr)} size=${size}`;
        const r = parseFtrace(map);
        expect(r.errors).toEqual([]);
        expect(r.events[0]).toMatchObject({ event: 'map', iova, paddr, size, ts: 12_345_678_000 });
      }),
      { numRuns: 300 },
    );
  });
});
