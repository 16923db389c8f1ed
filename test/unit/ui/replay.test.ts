/**
 * API method replayTrace (electron/host/jobs.ts + replay-worker.ts): the uploaded ftrace text
 * replayed on each vendor in a worker thread, one run per vendor, with the numbers the CLI's
 * replayOnVendor gives; request validation (vendors, sizes, names); hostile content; cancel.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EngineInfo, ProgressEvent, ReplayTraceRequest, ReplayTraceResult, RunSummary } from '../../../electron/api';
import { EngineHost, type HostOutbound } from '../../../electron/host/engine-host';
import { replayOnVendor } from '../../../core/scenario/replay';
import { parseFtrace } from '../../../core/trace/ftrace';
import { NULL_RECORDER } from '../../../core/trace/types';

const dir = mkdtempSync(join(tmpdir(), 'wb-replay-ui-'));
const FIXTURE = new URL('../../fixtures/smmuv3-nvme.trace.txt', import.meta.url);
const trace = readFileSync(FIXTURE, 'utf8');

function hostWithEvents(): { host: EngineHost; events: ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  const host = new EngineHost({ shell: 'web', electronVersion: null, post: (m: HostOutbound) => m.type === 'progress' && events.push(m.event) });
  return { host, events };
}

function req(over: Partial<ReplayTraceRequest> & { dbPath: string; jobId: string }): ReplayTraceRequest {
  return { traceText: trace, traceName: 'smmuv3-nvme.trace.txt', vendors: ['amd', 'smmuv3'], flush: 'strict', dma: 'mapped', ...over };
}

/** A synthetic trace of `pairs` 4 KiB map + unmap events (2 lines each). */
function syntheticTrace(pairs: number): string {
  const lines = ['# tracer: nop'];
  const hex = (v: number): string => `0x${v.toString(16).padStart(16, '0')}`;
  for (let i = 0; i < pairs; i++) {
    const iova = 0xfff00000 - (i % 64) * 0x1000;
    const t = `${1 + Math.floor(i / 1e5)}.${String(i % 1e5).padStart(6, '0')}`;
    lines.push(`  kworker/u2:1-23  [000] .....  ${t}: map: IOMMU: iova=${hex(iova)} - ${hex(iova + 4096)} paddr=${hex(0x40000000 + i * 4096)} size=4096`);
    lines.push(`  kworker/u2:1-23  [000] d.h..  ${t}: unmap: IOMMU: iova=${hex(iova)} - ${hex(iova + 4096)} size=4096 unmapped_size=4096`);
  }
  return lines.join('\n') + '\n';
}

describe('replayTrace job (worker thread, one run per vendor)', () => {
  it('replays the SMMUv3 fixture on two vendors with the CLI replay numbers, per-vendor progress and replay runs', async () => {
    const { host, events } = hostWithEvents();
    const info = (await host.handle('0', 'engineInfo', {})) as { ok: true; value: EngineInfo };
    expect(info.value.features).toContain('replayTrace');
    expect(info.value.replay).toEqual({ vendors: ['amd', 'intel', 'smmuv3'], maxTraceBytes: 64 * 1024 * 1024, maxXlateBytes: 64 * 1024 * 1024 });

    const dbPath = join(dir, 'replay.sqlite');
    const r = await host.handle('1', 'replayTrace', req({ dbPath, jobId: 'rp1', nonCoherent: true }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value as ReplayTraceResult;
    expect(v.cancelled).toBe(false);
    expect(v.failed).toEqual([]);
    expect(v.runIds).toHaveLength(2);
    expect(v.import).toMatchObject({ events: 14953, maps: 12325, unmaps: 2626, faults: 0, malformed: 0, firstErrors: [], xlate: null });

    // The same numbers as the CLI's replayOnVendor on the same input.
    const imp = parseFtrace(trace);
    for (const res of v.results) {
      const cli = replayOnVendor(res.vendor as 'amd' | 'smmuv3', imp.events, { flush: 'strict', dma: 'mapped', recorder: NULL_RECORDER, nonCoherent: true });
      expect(res).toMatchObject({ maps: cli.stats.maps, unmaps: cli.stats.unmaps, mapLists: cli.stats.mapLists, errors: 0, dmaAccesses: cli.stats.dmaAccesses, dmaFaults: 0, cancelled: false });
      expect(Object.fromEntries(res.commands.map((c) => [c.name, c.count]))).toEqual(
        Object.fromEntries(Object.entries(cli.counters).filter(([k, n]) => k.startsWith('cmd:') && n > 0).map(([k, n]) => [k.slice(4), n])),
      );
    }
    const [amd, smmu] = v.results;
    expect([amd.vendor, smmu.vendor, amd.vendorTitle, smmu.vendorTitle]).toEqual(['amd', 'smmuv3', 'AMD-Vi', 'Arm SMMUv3']);
    expect([smmu.maps, smmu.unmaps, smmu.dmaAccesses]).toEqual([12325, 2626, 61137]);
    expect(smmu.commands).toEqual(expect.arrayContaining([{ name: 'CMD_TLBI_NH_VA', count: 2658 }, { name: 'CMD_SYNC', count: 2629 }]));
    // Non-coherent walks: SMMUv3 writes back every IOPTE change; AMD-Vi walks stay coherent.
    expect(smmu.writeBacks).toMatchObject({ calls: 14964, lines: 27879 });
    expect(smmu.writeBacks!.cpuNs).toBeGreaterThan(0);
    expect(amd.writeBacks).toBeNull();

    // Progress per vendor, events replayed / events in the trace, ending complete.
    expect([...new Set(events.map((e) => e.label))]).toEqual(['AMD-Vi', 'Arm SMMUv3']);
    expect(events.every((e) => e.callId === 'rp1' && e.total === 14953 && e.done <= e.total)).toBe(true);
    for (const l of ['AMD-Vi', 'Arm SMMUv3']) expect(events.filter((e) => e.label === l).at(-1)?.done).toBe(14953);

    // Recorded as replay runs: listed by trace name, one group (one comparison), slices per event.
    expect(await host.handle('2', 'openDatabase', { path: dbPath })).toMatchObject({ ok: true, value: { ours: true, runs: 2 } });
    const runs = ((await host.handle('3', 'listRuns', {})) as { ok: true; value: RunSummary[] }).value;
    expect(runs.map((x) => [x.id, x.vendor, x.status, x.scenario])).toEqual([
      [v.runIds[0], 'amd', 'complete', 'replay smmuv3-nvme.trace.txt'],
      [v.runIds[1], 'smmuv3', 'complete', 'replay smmuv3-nvme.trace.txt'],
    ]);
    expect(runs[0].group).toBe(runs[1].group);
    const db = new Database(dbPath, { readonly: true });
    const scen = JSON.parse((db.prepare('SELECT scenario FROM run WHERE id = ?').get(v.runIds[1]) as { scenario: string }).scenario);
    expect(scen).toMatchObject({ kind: 'replay', name: 'replay smmuv3-nvme.trace.txt', trace: 'smmuv3-nvme.trace.txt', flush: 'strict', dma: 'mapped', xlate: null, nonCoherent: true });
    expect(scen.traceSha256).toMatch(/^[0-9a-f]{64}$/);
    const maps = db.prepare(`SELECT count(*) AS n FROM slice WHERE run_id = ? AND name = 'iommu:map'`).get(v.runIds[1]) as { n: number };
    expect(maps.n).toBe(12325);
    db.close();
    // A replay has no scenario to re-simulate: the page-table view says so.
    expect(await host.handle('4', 'pageTableWalk', { runId: v.runIds[0], iova: 0 })).toMatchObject({ ok: false, error: { code: 'EMEDIUMTYPE', message: expect.stringContaining('replay') } });
    host.dispose();
  }, 60_000);

  it('validates the request: vendors, sizes, names, the xlate file', async () => {
    const { host } = hostWithEvents();
    const dbPath = join(dir, 'never.sqlite');
    const call = (over: Record<string, unknown>): Promise<unknown> => host.handle('v', 'replayTrace', { ...req({ dbPath, jobId: 'v1' }), ...over });
    const message = async (over: Record<string, unknown>): Promise<string> => {
      const r = (await call(over)) as { ok: boolean; error?: { code: string; message: string } };
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe('EINVAL');
      return r.error!.message;
    };
    expect(await message({ vendors: ['amd', 'via'] })).toMatch(/vendors\.1: unknown vendor "via" \(amd \| intel \| smmuv3\)/);
    expect(await message({ vendors: ['mock'] })).toMatch(/unknown vendor "mock"/);
    expect(await message({ vendors: [] })).toMatch(/pick at least one vendor/);
    expect(await message({ vendors: ['amd', 'amd'] })).toMatch(/listed twice/);
    expect(await message({ traceText: 'x'.repeat(64 * 1024 * 1024 + 1) })).toMatch(/traceText: the trace is larger than the 64 MiB limit/);
    expect(await message({ traceText: '' })).toMatch(/the trace is empty/);
    expect(await message({ dma: 'xlate' })).toMatch(/xlateText: DMA mode 'xlate' needs the QEMU xlate file/);
    expect(await message({ xlateText: 'y'.repeat(64 * 1024 * 1024 + 1), xlateName: 'x.txt' })).toMatch(/larger than the 64 MiB limit/);
    expect(await message({ traceName: '../../etc/passwd' })).toMatch(/traceName/);
    expect(await message({ traceName: 'a\nb' })).toMatch(/traceName/);
    expect(await message({ flush: 'eager' })).toMatch(/flush/);
    expect(await message({ dbPath: 'a\0b' })).toMatch(/dbPath/);
    expect(await message({ extra: 1 })).toMatch(/extra|Unrecognized/);
    expect(await call({ dbPath: '/nonexistent/dir/x.sqlite' })).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
    host.dispose();
  });

  it('treats the content as untrusted: garbage is refused with its malformed lines, a few bad lines are counted and skipped', async () => {
    const { host } = hostWithEvents();
    const garbage = ['\u0000\u0001binary', 'GET / HTTP/1.1', '<script>alert(1)</script>', ' x-1 [000] ..... 1.5: map: IOMMU: iova=0xzz', '9'.repeat(5000)].join('\n');
    const g = (await host.handle('1', 'replayTrace', req({ traceText: garbage, dbPath: join(dir, 'garbage.sqlite'), jobId: 'g1' }))) as { ok: false; error: { code: string; message: string } };
    expect(g.ok).toBe(false);
    expect(g.error.code).toBe('ENODATA');
    expect(g.error.message).toMatch(/no iommu:map or iommu:unmap events in 5 lines; 5 malformed line\(s\): line 1: .*; line 2: .*; line 4: map: fields do not match/);
    // The host keeps answering.
    expect(await host.handle('2', 'engineInfo', {})).toMatchObject({ ok: true });

    // The fixture with three lines broken: the rest replays; the bad lines are listed by number.
    const lines = trace.split('\n');
    lines[20] = 'this line is not ftrace';
    expect(lines[100]).toContain(': map: ');
    lines[100] = lines[100].replace(/ size=\d+$/, ' size=banana');
    expect(lines[2000]).toContain(': unmap: ');
    lines[2000] = lines[2000].replace(/iova=0x[0-9a-f]+/, 'iova=0x1ffffffffffffffff');
    const r = (await host.handle('3', 'replayTrace', req({ traceText: lines.join('\n'), vendors: ['intel'], dbPath: join(dir, 'partial.sqlite'), jobId: 'g2' }))) as { ok: true; value: ReplayTraceResult };
    expect(r.ok).toBe(true);
    expect(r.value.import.malformed).toBe(3);
    expect(r.value.import.firstErrors.map((e) => e.line)).toEqual([21, 101, 2001]);
    expect(r.value.import.events).toBe(14953 - 3);
    expect(r.value.results).toHaveLength(1);
    expect(r.value.results[0].maps + r.value.results[0].unmaps).toBe(12325 + 2626 - 3);
    host.dispose();
  }, 60_000);

  it('stops mid-trace when cancelled: the vendor replaying is marked failed, later vendors are not run', async () => {
    const { host, events } = hostWithEvents();
    const dbPath = join(dir, 'cancel.sqlite');
    const pending = host.handle('1', 'replayTrace', req({ traceText: syntheticTrace(150_000), traceName: 'synthetic.txt', vendors: ['intel', 'amd', 'smmuv3'], dbPath, jobId: 'c1' }));
    await expect.poll(() => events.some((e) => e.label === 'Intel VT-d' && e.done > 0), { timeout: 30_000, interval: 5 }).toBe(true);
    expect(await host.handle('2', 'cancelJob', { jobId: 'c1' })).toEqual({ ok: true, value: { cancelled: true } });
    const r = (await pending) as { ok: true; value: ReplayTraceResult };
    expect(r.ok).toBe(true);
    expect(r.value.cancelled).toBe(true);
    expect(r.value.results.map((x) => [x.vendor, x.cancelled])).toEqual([['intel', true]]);
    expect(r.value.results[0].maps).toBeLessThan(150_000);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT vendor, status FROM run ORDER BY id').all()).toEqual([{ vendor: 'intel', status: 'failed' }]);
    db.close();
    expect(await host.handle('3', 'cancelJob', { jobId: 'c1' })).toEqual({ ok: true, value: { cancelled: false } });
    host.dispose();
  }, 60_000);
});
