/**
 * API methods costTable and runSensitivity (electron/host/costs.ts, jobs.ts +
 * core/run/sensitivity-worker.ts): the cost table is the one `costs --json` prints (same core
 * function), with a scenario's overrides and kernel applied; the sensitivity job returns what
 * core runSensitivity returns for the same scenario, with baseline and re-run progress, and
 * stops on cancel.
 */
import { describe, expect, it } from 'vitest';
import type { CostTable, ProgressEvent, SensitivityResult } from '../../../electron/api';
import { EngineHost, type HostOutbound } from '../../../electron/host/engine-host';
import { costTable } from '../../../core/scenario/cost-table';
import { parseScenario } from '../../../core/scenario/load';
import { VENDORS } from '../../../core/scenario/schema';
import { runSensitivity } from '../../../core/scenario/sensitivity-run';
import { SMALL_SCENARIO } from './scenarios';

function hostWithEvents(): { host: EngineHost; events: ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  const host = new EngineHost({ shell: 'web', electronVersion: null, post: (m: HostOutbound) => m.type === 'progress' && events.push(m.event) });
  return { host, events };
}

/** The small scenario with an override, a hardware capacity and the pre-iommupt kernel. */
const OVERRIDDEN = JSON.stringify({ ...JSON.parse(SMALL_SCENARIO), vendors: ['amd', 'smmuv3'], kernel: '6.7-6.18', costOverrides: { pte_locked_rmw: 11 }, iotlbEntries: 32 });

describe('costTable', () => {
  it('without a scenario: every vendor at its defaults, the 6.19 walkers', async () => {
    const { host } = hostWithEvents();
    const r = await host.handle('1', 'costTable', {});
    expect(r).toEqual({ ok: true, value: costTable({ allVendors: VENDORS }) });
    const t = (r as { value: CostTable }).value;
    expect(t.kernel).toBe('6.19');
    expect(t.walkers.map((w) => [w.vendor, w.kind])).toEqual([['amd', 'iommupt'], ['intel', 'iommupt'], ['smmuv3', 'io-pgtable-arm']]);
    expect(t.walkers[0]!.actions).toEqual(['pt_entry_read', 'pte_plain_rmw', 'dirty_record']);
    expect(t.walkers[2]!.actions).toEqual(['pt_entry_read', 'pte_locked_rmw', 'indirect_call', 'dirty_record']);
  });

  it("a scenario's vendors, overrides (marked), hardware capacities and kernel apply; a kernel can be chosen", async () => {
    const { host } = hostWithEvents();
    const r = await host.handle('1', 'costTable', { scenarioText: OVERRIDDEN });
    expect(r.ok).toBe(true);
    const t = (r as { value: CostTable }).value;
    expect(t.vendors).toEqual(['amd', 'smmuv3']);
    expect(t.kernel).toBe('6.7-6.18');
    expect(t.costs.find((c) => c.action === 'pte_locked_rmw')!.byVendor.amd).toEqual({ ns: 11, class: 'override', source: 'scenario costOverrides', defaultNs: 7 });
    expect(t.hardware.find((h) => h.param === 'iotlbEntries')!.byVendor.smmuv3).toEqual({ value: 32, class: 'override', source: 'scenario', defaultValue: 128 });
    expect(t.walkers.map((w) => w.kind)).toEqual(['per-leaf-rewalk', 'io-pgtable-arm']);
    expect(t.walkers[0]!.actions).toEqual(['pt_walk_level', 'pte_locked_rmw', 'dirty_record']);
    const k = await host.handle('2', 'costTable', { scenarioText: OVERRIDDEN, kernel: '6.19' });
    expect((k as { value: CostTable }).value.walkers.map((w) => w.kind)).toEqual(['iommupt', 'io-pgtable-arm']);
  });

  it('refuses an unknown kernel, preset, bad scenario text or both sources', async () => {
    const { host } = hostWithEvents();
    expect(await host.handle('1', 'costTable', { kernel: '5.10' })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await host.handle('2', 'costTable', { preset: 'nope' })).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
    expect(await host.handle('3', 'costTable', { scenarioText: '{"name": 3}' })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await host.handle('4', 'costTable', { preset: 'nic-rx-16g', scenarioText: SMALL_SCENARIO })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
  });
});

describe('runSensitivity job (worker thread, progress, cancel)', () => {
  it('returns what runSensitivity computes, with baseline and re-run progress', async () => {
    const { host, events } = hostWithEvents();
    const r = await host.handle('1', 'runSensitivity', { scenarioText: SMALL_SCENARIO, rerun: 1, jobId: 's1' });
    expect(r.ok).toBe(true);
    const v = (r as { value: SensitivityResult }).value;
    expect(v.cancelled).toBe(false);
    expect(v.failed).toEqual([]);
    const p = parseScenario(SMALL_SCENARIO);
    if (!p.ok) throw new Error('bad fixture');
    const direct = await runSensitivity(p.scenario, { factor: 2, rerun: 1 });
    if (!direct.ok) throw new Error('direct run failed');
    expect(v.report).toEqual(direct.report);
    expect(v.lines).toEqual(direct.lines);
    expect(v.report!.probes.filter((x) => x.rerun).length).toBeGreaterThanOrEqual(1);
    const labels = new Set(events.map((e) => e.label));
    expect([...labels].sort()).toEqual(['AMD-Vi', 'Arm SMMUv3', 'Intel VT-d', 're-runs']);
    const last = events.filter((e) => e.label === 're-runs').at(-1)!;
    expect(last.done).toBe(last.total);
    expect(events.every((e) => e.callId === 's1')).toBe(true);
  });

  it('cancel stops the job; bad requests are refused', async () => {
    const { host, events } = hostWithEvents();
    const pending = host.handle('1', 'runSensitivity', { scenarioText: SMALL_SCENARIO, rerun: 3, jobId: 's2' });
    await expect.poll(() => events.length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await host.handle('2', 'cancelJob', { jobId: 's2' })).toEqual({ ok: true, value: { cancelled: true } });
    const r = await pending;
    expect(r).toEqual({ ok: true, value: { report: null, lines: [], cancelled: true, failed: [] } });
    expect(await host.handle('3', 'runSensitivity', { scenarioText: SMALL_SCENARIO, rerun: 13, jobId: 's3' })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await host.handle('4', 'runSensitivity', { scenarioText: SMALL_SCENARIO, factor: 1, jobId: 's4' })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await host.handle('5', 'runSensitivity', { jobId: 's5' })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
  });
});
