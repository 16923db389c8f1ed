/**
 * I/O page faults resolved by the VMM (scenario guest.mappedOnFault, core/workload/vmm-iopf.ts):
 * on VT-d the device's page requests reach the iommufd fault queue, the VMM maps the 2 MiB
 * block and answers, and the write lands; AMD-Vi and SMMUv3 do not enable PRI for the
 * device (core/iommu/<vendor>/driver.ts enableIopf), so its writes there are unrecoverable
 * faults and are lost. Also the uAPI half: iommu_hwpt_pgfault records and page responses.
 */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import type { VendorName } from '../../../core/iommu/registry';
import { faultRead, IOMMU_PGFAULT_FLAGS_LAST_PAGE, IOMMUFD_PAGE_RESP_SUCCESS } from '../../../core/iommufd/fault';
import { iopfDispatch, iopfRespond, IOMMU_PGFAULT_PERM_WRITE } from '../../../core/iommufd/iopf';
import type { Fault } from '../../../core/iommufd/objects';
import { compareVendors, vendorResult, type VendorResult } from '../../../core/scenario/compare';
import { loadPreset } from '../../../core/scenario/presets';
import { scenarioSchema, type ScenarioInput } from '../../../core/scenario/schema';
import { simulateVendor, vmmConfig } from '../../../core/scenario/simulate';
import { summaryTable } from '../../../core/scenario/summary-table';
import type { EventName, TrackOf } from '../../../core/trace/events';
import type { Recorder } from '../../../core/trace/types';
import { FAULT_MAP_BYTES } from '../../../core/workload/vmm-iopf';
import { Vmm } from '../../../core/workload/vmm';

const MiB = 2 ** 20;

/** Records instants of the page-request category with their args. */
class PrRecorder implements Recorder {
  readonly enabled = true;
  readonly traceDma = false;
  readonly events: { name: string; ts: number; args: Record<string, unknown> }[] = [];
  slice(): void {}
  instant<E extends EventName>(_track: TrackOf<E>, name: E, ts: number, args?: Record<string, unknown>): void {
    if (name === 'page_request' || name === 'page_response') this.events.push({ name, ts, args: args ?? {} });
  }
  count(): void {}
  countSpan(): void {}
}

const small: ScenarioInput = {
  name: 'iopf-small',
  seed: 11,
  guest: { memory: '64MiB', mappedOnFault: '16MiB' },
  devices: [{ name: 'acc0', ats: true, pri: true, workload: { kind: 'hot-set', distribution: 'uniform', hotSetBytes: '64MiB', writePagesPerSec: 200_000 } }],
  migration: { maxRounds: 3, downtimeMs: 5 },
};
const REGION = { from: 48 * MiB, to: 64 * MiB };

function run(vendor: VendorName, input: ScenarioInput = small): { r: VendorResult; vmm: Vmm; rec: PrRecorder } {
  const rec = new PrRecorder();
  const { report, vmm } = simulateVendor(scenarioSchema.parse(input), vendor, rec);
  return { r: vendorResult(vendor, null, report), vmm, rec };
}

const sum = (r: VendorResult, k: string): number => r.rounds.reduce((s, x) => s + (x.counters[k] ?? 0), 0) + (r.switchoverCounters?.[k] ?? 0);

describe('scenario: memory mapped on fault (iommufd fault queue)', () => {
  const res = { intel: run('intel'), amd: run('amd'), smmuv3: run('smmuv3') };

  it('VT-d: page requests reach the fault queue, the VMM maps each 2 MiB block once and answers every request', () => {
    const { r, vmm, rec } = res.intel;
    const blocks = (REGION.to - REGION.from) / FAULT_MAP_BYTES;
    expect(vmm.iopf!.stats.iopf_mapped_blocks).toBe(blocks); // uniform writes touch every block
    expect(sum(r, 'page_requests')).toBe(vmm.iopf!.stats.iopf_read);
    expect(sum(r, 'page_responses')).toBe(sum(r, 'page_requests'));
    expect(r.totals.faults).toBe(0);
    expect(r.totals.missedPages).toBe(0);
    // Every block of the region is mapped now; a 4 KiB leaf translates each.
    const pt = vmm.pageTable()!;
    const leaf = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
    for (let a = REGION.from; a < REGION.to; a += FAULT_MAP_BYTES) expect(pt.lookupLeaf(a, leaf)).toBe(true);
    // Recorded as the catalogue's trace points: each request paired with one SUCCESS response on (sid, grpid), later in time.
    const reqs = rec.events.filter((e) => e.name === 'page_request');
    const resps = rec.events.filter((e) => e.name === 'page_response');
    expect(reqs.length).toBe(sum(r, 'page_requests'));
    expect(resps.length).toBe(reqs.length);
    reqs.forEach((q, i) => {
      const p = resps[i]!;
      expect([p.args.sid, p.args.grpid, p.args.code]).toEqual([q.args.sid, q.args.grpid, 0]);
      expect(p.ts).toBeGreaterThan(q.ts);
      expect(Number(q.args.iova)).toBeGreaterThanOrEqual(REGION.from);
      expect(Number(q.args.iova)).toBeLessThan(REGION.to);
    });
  });

  it('AMD-Vi and SMMUv3 do not enable PRI for the device: its writes to the region fault and are lost', () => {
    for (const v of ['amd', 'smmuv3'] as const) {
      const { r, vmm, rec } = res[v];
      expect(sum(r, 'page_requests')).toBe(0);
      expect(rec.events).toEqual([]);
      expect(r.totals.faults).toBeGreaterThan(0);
      expect(vmm.iopf!.stats.iopf_mapped_blocks).toBe(0);
      const pt = vmm.pageTable()!;
      expect(pt.lookupLeaf(REGION.from, { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 })).toBe(false);
      // A lost write is not a dirty page nobody reported: ground truth counts only writes that landed.
      expect(r.totals.missedPages).toBe(0);
      expect(r.totals.dirtyPages).toBeLessThan(res.intel.r.totals.dirtyPages);
    }
  });

  it('the comparison shows page requests and explains both outcomes', () => {
    const c = compareVendors('iopf-small', 11, [res.amd.r, res.intel.r, res.smmuv3.r]);
    const row = summaryTable(c).rows.find((x) => x.key === 'pageRequests');
    expect(row?.cells.map((x) => x.value)).toEqual([0, sum(res.intel.r, 'page_requests'), 0]);
    const text = c.explanations.join('\n');
    expect(text).toMatch(/Intel VT-d delivered [\d,]+ page requests/);
    expect(text).toMatch(/AMD-Vi delivered no page requests/);
    expect(text).toMatch(/Arm SMMUv3 delivered no page requests/);
    // Without faults the row is left out.
    const plain = compareVendors('x', 1, [run('intel', { ...small, guest: { memory: '64MiB' } }).r]);
    expect(summaryTable(plain).rows.some((x) => x.key === 'pageRequests')).toBe(false);
  });

  it('the preset iopf-on-demand-4g is valid and leaves 512 MiB to be mapped on fault', () => {
    const s = loadPreset('iopf-on-demand-4g')!;
    expect(s.guest.mappedOnFault).toBe(512 * MiB);
    expect(s.devices.every((d) => d.pri && d.ats)).toBe(true);
  });

  it('the schema refuses pri without ats, an unaligned region and a vIOMMU', () => {
    const bad = (patch: Partial<ScenarioInput>) => scenarioSchema.safeParse({ ...small, ...patch }).success;
    expect(bad({ devices: [{ ...small.devices[0]!, ats: false }] })).toBe(false);
    expect(bad({ guest: { memory: '64MiB', mappedOnFault: '1MiB' } })).toBe(false);
    expect(bad({ guest: { memory: '64MiB', mappedOnFault: '64MiB' } })).toBe(false);
    expect(bad({ viommu: true })).toBe(false);
    expect(bad({})).toBe(true);
  });
});

describe('uAPI: iommu_hwpt_pgfault records and page responses', () => {
  const cfg = (): ReturnType<typeof vmmConfig> => vmmConfig(scenarioSchema.parse(small), 'intel');

  it('a request is read once with LAST_PAGE and write perm; the response completes it once; a bad cookie is EINVAL', () => {
    const vmm = new Vmm('intel', cfg(), new PrRecorder());
    const fault = vmm.ctx.table.all().find((o) => o.type === 'FAULT') as Fault;
    const dev = vmm.devices[0]!;
    expect(vmm.platform.dma(dev, 0, REGION.from + 0x3123, 8, true)).toBe(-ERRNO.EFAULT);
    expect(iopfDispatch(vmm.ctx)).toBe(1);
    const [rec, ...rest] = faultRead(fault, 8);
    expect(rest).toEqual([]);
    expect(rec).toMatchObject({ addr: REGION.from + 0x3000, length: 4096, flags: IOMMU_PGFAULT_FLAGS_LAST_PAGE, pasid: 0 });
    expect(rec!.perm & IOMMU_PGFAULT_PERM_WRITE).toBeTruthy();
    const before = vmm.platform.stats().page_responses ?? 0;
    expect(iopfRespond(vmm.ctx, fault, rec!.cookie, IOMMUFD_PAGE_RESP_SUCCESS)).toBe(0);
    expect((vmm.platform.stats().page_responses ?? 0) - before).toBe(1);
    expect(iopfRespond(vmm.ctx, fault, rec!.cookie, IOMMUFD_PAGE_RESP_SUCCESS)).toBe(-ERRNO.EINVAL);
    expect(iopfRespond(vmm.ctx, fault, 999, 7)).toBe(-ERRNO.EINVAL);
  });

  it('a PRI device on a HWPT without a fault queue gets INVALID from the driver (iopf_error_response)', () => {
    const vmm = new Vmm('intel', { ...cfg(), mappedOnFault: 0, mappedAfterEnable: 0, guestBytes: 48 * MiB }, new PrRecorder());
    const dev = vmm.devices[0]!;
    expect(vmm.platform.dma(dev, 0, 48 * MiB, 8, true)).toBe(-ERRNO.EFAULT);
    expect(vmm.platform.stats().page_requests).toBe(1);
    expect(iopfDispatch(vmm.ctx)).toBe(1);
    expect(vmm.platform.stats().page_responses).toBe(1);
  });
});
