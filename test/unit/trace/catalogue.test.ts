/**
 * Trace-point conformance: a small run of every kind the engine records (a comparison on each
 * hardware vendor with per-DMA tracing, a replay of a real kernel trace excerpt and its import,
 * ioctl scripts including failing calls) must record only catalogue events on their catalogue
 * tracks, with catalogue argument keys, and only catalogue counters (core/trace/events.ts).
 * The tables that name events at run time (uAPI structs, command opcodes, fault codes) are
 * checked against the catalogue too, and the UI fixture database uses only catalogue names.
 */
import { readFileSync, readdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { CMD as AMD_CMD } from '../../../core/hw/amd/regs';
import { QI, SM_FAULT_NAMES } from '../../../core/hw/intel/regs';
import { CMDQ_OP, EVT } from '../../../core/hw/smmuv3/regs';
import { SCENARIO_VENDORS, VENDOR_NAMES } from '../../../core/iommu/registry';
import { runIoctlScript } from '../../../core/iommufd/script';
import { VfioDeviceFile, vfioDeviceIoctl } from '../../../core/iommufd/vfio-cdev';
import { openIommufd } from '../../../core/iommufd/platform';
import { iommufdIoctl } from '../../../core/iommufd/ioctl';
import { SimClock } from '../../../core/base/clock';
import { parseScenario } from '../../../core/scenario/load';
import { replayOnVendor } from '../../../core/scenario/replay';
import { simulateVendor } from '../../../core/scenario/simulate';
import { COUNTER_NAMES, EVENTS, HW_COMMANDS, eventSpec } from '../../../core/trace/events';
import { parseFtrace } from '../../../core/trace/ftrace';
import { recordFtrace } from '../../../core/trace/ftrace-record';
import type { ArgValue, Recorder, UntypedRecorder } from '../../../core/trace/types';
import { IOCTL, STRUCTS, type IoctlName } from '../../../core/uapi/iommufd';
import { VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_BIND_IOMMUFD } from '../../../core/uapi/vfio';
import { writeFixture } from '../ui/fixture';
import { tempDir } from '../store/helpers';

/** Records what was recorded: per "track name" the argument keys seen, and the counter names. */
class AuditRecorder implements UntypedRecorder {
  readonly enabled = true;
  readonly traceDma = true;
  readonly events = new Map<string, { track: string; name: string; keys: Set<string> }>();
  readonly counters = new Set<string>();
  slice(track: string, name: string, _ts: number, _dur: number, args?: Record<string, ArgValue>): void {
    const k = `${track}\u0000${name}`;
    let e = this.events.get(k);
    if (!e) this.events.set(k, (e = { track, name, keys: new Set() }));
    for (const a in args ?? {}) e.keys.add(a);
  }
  instant(track: string, name: string, ts: number, args?: Record<string, ArgValue>): void {
    this.slice(track, name, ts, 0, args);
  }
  count(counter: string): void {
    this.counters.add(counter);
  }
  countSpan(counter: string): void {
    this.counters.add(counter);
  }
  /** The typed view the engine takes (the same object). */
  get typed(): Recorder {
    return this as unknown as Recorder;
  }
  /** Every recorded event, arg key or counter the catalogue lacks (empty when conformant). */
  violations(): string[] {
    const out: string[] = [];
    for (const e of this.events.values()) {
      const spec = eventSpec(e.name);
      if (!spec) {
        out.push(`event ${e.name} (track ${e.track}) not in the catalogue`);
        continue;
      }
      if (spec.track !== e.track) out.push(`event ${e.name} recorded on track ${e.track}, catalogue says ${spec.track}`);
      for (const k of e.keys) if (!spec.args.includes(k)) out.push(`event ${e.name}: arg ${k} not in the catalogue`);
    }
    for (const c of this.counters) if (!COUNTER_NAMES.includes(c)) out.push(`counter ${c} not in the catalogue`);
    return out;
  }
  names(): Set<string> {
    return new Set([...this.events.values()].map((e) => e.name));
  }
}

const SMALL = parseScenario(
  JSON.stringify({
    name: 'catalogue-conformance',
    seed: 5,
    guest: { memory: '128MiB' },
    devices: [{ name: 'nic0', workload: { kind: 'nic-rx', ringBuffers: 1024, packetsPerSec: 100000 } }],
    migration: { maxRounds: 2, downtimeMs: 1 },
  }),
);

const EXAMPLES = new URL('../../../core/iommufd/examples/', import.meta.url);
const EXCERPT = readFileSync(new URL('../../fixtures/intel-vtd-nvme-excerpt.trace.txt', import.meta.url), 'utf8');

describe('every recorded trace point is in the catalogue', () => {
  test('compare: a small scenario on each hardware vendor, every DMA traced', () => {
    if (!SMALL.ok) throw new Error(JSON.stringify(SMALL.errors));
    for (const vendor of SCENARIO_VENDORS) {
      const rec = new AuditRecorder();
      simulateVendor(SMALL.scenario, vendor, rec.typed);
      expect(rec.violations(), vendor).toEqual([]);
      for (const n of ['migration_round', 'switchover', 'IOMMU_IOAS_MAP', 'IOMMU_HWPT_GET_DIRTY_BITMAP', 'VFIO_DEVICE_BIND_IOMMUFD', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'dma_write']) expect(rec.names(), `${vendor} ${n}`).toContain(n);
      for (const c of ['dirty_pages', 'pte_read', 'iotlb_miss', 'dma_write_bytes', 'sim_ns']) expect(rec.counters, `${vendor} ${c}`).toContain(c);
      expect([...rec.counters].some((c) => c.startsWith('cmd:')), vendor).toBe(true);
      expect([...rec.events.values()].some((e) => e.track === 'hw.cmdq'), vendor).toBe(true);
    }
  });

  test('compare: memory mapped on fault (page requests, page responses, unrecoverable faults) on each vendor', () => {
    const iopf = parseScenario(
      JSON.stringify({
        name: 'catalogue-iopf',
        seed: 5,
        guest: { memory: '64MiB', mappedOnFault: '8MiB' },
        devices: [{ name: 'acc0', ats: true, pri: true, workload: { kind: 'hot-set', distribution: 'uniform', hotSetBytes: '64MiB', writePagesPerSec: 100000 } }],
        migration: { maxRounds: 2, downtimeMs: 1 },
      }),
    );
    if (!iopf.ok) throw new Error(JSON.stringify(iopf.errors));
    const names = new Set<string>();
    for (const vendor of SCENARIO_VENDORS) {
      const rec = new AuditRecorder();
      simulateVendor(iopf.scenario, vendor, rec.typed);
      expect(rec.violations(), vendor).toEqual([]);
      for (const n of rec.names()) names.add(n);
    }
    for (const n of ['page_request', 'page_response', 'IOMMU_FAULT_QUEUE_ALLOC', 'IO_PAGE_FAULT', 'F_TRANSLATION']) expect(names, n).toContain(n);
  });

  test('replay: a real kernel trace excerpt, imported and replayed on each vendor and flush policy', () => {
    const imp = parseFtrace(EXCERPT);
    expect(imp.errors).toEqual([]);
    const rec = new AuditRecorder();
    expect(recordFtrace(rec.typed, imp)).toBeGreaterThan(300);
    for (const vendor of SCENARIO_VENDORS) {
      for (const flush of ['strict', 'lazy', 'caching'] as const) replayOnVendor(vendor, imp.events, { flush, dma: 'mapped', recorder: rec.typed, nonCoherent: flush === 'lazy' });
    }
    expect(rec.violations()).toEqual([]);
    for (const n of ['iommu:map', 'iommu:unmap', 'iommu:attach_device_to_domain', 'iommu:add_device_to_group', 'tracing_mark_write']) expect(rec.names()).toContain(n);
  });

  test('ioctl: every example script on every vendor, plus unknown numbers and failing calls', () => {
    const rec = new AuditRecorder();
    for (const f of readdirSync(EXAMPLES)) {
      for (const vendor of VENDOR_NAMES) runIoctlScript(readFileSync(new URL(f, EXAMPLES), 'utf8'), { vendor, recorder: rec.typed });
    }
    // Failing calls on purpose: unknown iommufd and VFIO device numbers, a bad size, a NULL arg,
    // unknown keys passed to a struct-less ioctl.
    const { ctx, platform } = openIommufd('mock', { clock: new SimClock(), recorder: rec.typed });
    expect(iommufdIoctl(ctx, 0x3b7f, {}).ok).toBe(false);
    expect(iommufdIoctl(ctx, IOCTL.IOMMU_IOAS_ALLOC, { size: 4 }).ok).toBe(false);
    expect(iommufdIoctl(ctx, IOCTL.IOMMU_DESTROY, null).ok).toBe(false);
    expect(iommufdIoctl(ctx, IOCTL.VFIO_SET_IOMMU, { arg: 99, bogus_key: 1 }).ok).toBe(false);
    const df = new VfioDeviceFile(platform.addDevice({ sid: 3, name: 'dev3' }));
    expect(vfioDeviceIoctl(df, VFIO_DEVICE_BIND_IOMMUFD, { iommufd: 3 }, () => ctx).ok).toBe(true);
    expect(vfioDeviceIoctl(df, 0x3b99, {}, () => ctx).ok).toBe(false);
    expect(vfioDeviceIoctl(df, VFIO_DEVICE_ATTACH_IOMMUFD_PT, { pt_id: 999 }, () => ctx).ok).toBe(false);
    expect(rec.violations()).toEqual([]);
    for (const n of ['IOMMU_IOAS_ALLOC', 'IOMMU_IOAS_MAP', 'IOMMU_HWPT_GET_DIRTY_BITMAP', 'IOMMU_TEST_CMD', 'VFIO_IOMMU_MAP_DMA', 'unknown_ioctl', 'vfio_unknown_ioctl', 'VFIO_DEVICE_BIND_IOMMUFD', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT']) expect(rec.names()).toContain(n);
    const failed = [...rec.events.values()].filter((e) => e.keys.has('errno'));
    expect(failed.length).toBeGreaterThan(10);
  });
});

describe('the tables that name events at run time match the catalogue', () => {
  test('every ioctl is an event whose args are its struct fields plus errno', () => {
    for (const name of Object.keys(IOCTL) as IoctlName[]) {
      const spec = eventSpec(name);
      expect(spec?.category, name).toBe('ioctl');
      const def = STRUCTS[name];
      if (def) expect(spec?.args, name).toEqual([...def.fields.map(([f]) => f), 'errno']);
    }
  });

  test('every architected command is a cmd:<NAME> counter', () => {
    const names = [
      ...Object.keys(AMD_CMD),
      ...Object.keys(CMDQ_OP).map((k) => (k.startsWith('CMD_') ? k : `CMD_${k}`)),
      ...Object.keys(QI),
    ];
    for (const n of names) expect(HW_COMMANDS as readonly string[], n).toContain(n);
    for (const n of HW_COMMANDS) expect(COUNTER_NAMES).toContain(`cmd:${n}`);
  });

  test('every hardware fault name is a fault event on track hw.fault', () => {
    const names = [...Object.keys(EVT), ...Object.values(SM_FAULT_NAMES), 'IO_PAGE_FAULT', 'ILLEGAL_DEV_TABLE_ENTRY', 'INVALID_DEVICE_REQUEST'];
    for (const n of names) expect(eventSpec(n), n).toMatchObject({ category: 'fault', track: 'hw.fault' });
  });

  test('invalidation events all sit on hw.cmdq and each has an inv.<name> counter', () => {
    for (const e of EVENTS.filter((x) => x.category === 'invalidation')) {
      expect(e.track, e.name).toBe('hw.cmdq');
      expect(COUNTER_NAMES).toContain(`inv.${e.name}`);
    }
  });
});

describe('the UI fixture database uses only catalogue names', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  test('event names, argument keys and counter names', async () => {
    const fx = await writeFixture(tmp.path('fx.sqlite'), { steps: 400 });
    const db = new Database(fx.path, { readonly: true });
    try {
      const keys = db.prepare('SELECT DISTINCT s.name, a.key FROM slice s LEFT JOIN args a ON a.arg_set_id = s.id').all() as { name: string; key: string | null }[];
      const hot = db.prepare('SELECT DISTINCT name, iova IS NOT NULL AS i, length IS NOT NULL AS l, errno IS NOT NULL AS e FROM slice').all() as { name: string; i: number; l: number; e: number }[];
      const counters = db.prepare("SELECT DISTINCT name FROM track WHERE type = 'counter'").all() as { name: string }[];
      const bad: string[] = [];
      for (const { name, key } of keys) {
        const spec = eventSpec(name);
        if (!spec) bad.push(`event ${name}`);
        else if (key !== null && !spec.args.includes(key)) bad.push(`${name}.${key}`);
      }
      for (const h of hot) {
        const args = eventSpec(h.name)?.args ?? [];
        if (h.i && !args.includes('iova')) bad.push(`${h.name}.iova`);
        if (h.l && !args.includes('length')) bad.push(`${h.name}.length`);
        if (h.e && !args.includes('errno')) bad.push(`${h.name}.errno`);
      }
      for (const { name } of counters) if (!COUNTER_NAMES.includes(name)) bad.push(`counter ${name}`);
      expect(bad).toEqual([]);
      expect(counters.length).toBeGreaterThan(5);
    } finally {
      db.close();
    }
  });
});
