/**
 * Deterministic trace databases for the UI tests (host API tests and the browser end-to-end
 * tests), written with the real store writer (core/store/writer.ts) so they have exactly the
 * schema, statistics and indexes a recorded comparison has. Event names, their argument keys
 * and counter names are catalogue names (core/trace/events.ts; the typed recorder rejects
 * others at compile time); which invalidation/fault names a "vendor" run uses is fixture data.
 */
import { Rng } from '../../../core/base/rng';
import { openWriter } from '../../../core/store/writer';
import type { ArgKey, EventOfCategory } from '../../../core/trace/events';

type Fault = EventOfCategory<'fault'> & ('amdvi_page_fault' | 'vtd_dmar_fault' | 'smmuv3_record_event');

/** Per-vendor event names the fixture uses (invalidation commands and the fault record with its device and type keys). */
const VENDOR_EVENTS: Record<string, { inv: EventOfCategory<'invalidation'>[]; fault: Fault; devKey: ArgKey<Fault>; faultKey: ArgKey<Fault>; faultTypes: (string | number)[] }> = {
  amd: { inv: ['amdvi_pages_inval', 'amdvi_completion_wait'], fault: 'amdvi_page_fault', devKey: 'devid', faultKey: 'flags', faultTypes: [0, 1] },
  intel: { inv: ['vtd_inv_desc_iotlb_pages', 'vtd_inv_desc_cc_device', 'vtd_inv_desc_wait_sw'], fault: 'vtd_dmar_fault', devKey: 'sid', faultKey: 'fault', faultTypes: ['DMA_PTE_NOT_PRESENT', 'WRITE_DENIED'] },
  smmuv3: { inv: ['smmuv3_cmdq_tlbi_nh_va', 'smmuv3_cmdq_cfgi_cd', 'smmuv3_cmdq_sync'], fault: 'smmuv3_record_event', devKey: 'sid', faultKey: 'type', faultTypes: ['F_TRANSLATION', 'F_PERMISSION'] },
};

export interface FixtureOptions {
  vendors?: string[];
  /** Operation steps per run; each step records ~3 events (so events ≈ 3 × steps + extras). */
  steps?: number;
  /** Simulated ns between steps. */
  stepNs?: number;
  rounds?: number;
  seed?: number;
  /** Counter bucket width, ns (recorder default 1 ms). */
  bucketNs?: number;
}

/** What the fixture wrote, for assertions. */
export interface FixtureInfo {
  path: string;
  runIds: number[];
  vendors: string[];
  simEndNs: number;
  /** Faults per run (index as runIds). */
  faults: number[];
  events: number[];
}

/** Known IOVA of the first map of every run (4 KiB page at 1 GiB). */
export const KNOWN_IOVA = 0x4000_0000;

/**
 * Write a comparison-like database at `path`: one run per vendor with ioctls, device DMA
 * (sid 0-2), invalidations, faults, page requests/responses, migration rounds and counters
 * (dirty_pages, pte_read, pte_write_atomic, iotlb_hit/miss, faults, dma_bytes, inv.*).
 */
export async function writeFixture(path: string, o: FixtureOptions = {}): Promise<FixtureInfo> {
  const vendors = o.vendors ?? ['amd', 'intel', 'smmuv3'];
  const steps = o.steps ?? 2000;
  const stepNs = o.stepNs ?? 50_000;
  const rounds = o.rounds ?? 5;
  const w = await openWriter(path, { inProcess: true });
  if (!w.ok) throw new Error(w.error.message);
  const info: FixtureInfo = { path, runIds: [], vendors, simEndNs: steps * stepNs, faults: [], events: [] };
  const scenario = { name: 'ui-fixture', seed: o.seed ?? 7, vendors };
  for (const [vi, vendor] of vendors.entries()) {
    const ve = VENDOR_EVENTS[vendor] ?? VENDOR_EVENTS.amd;
    const rng = new Rng((o.seed ?? 7) * 31 + vi);
    const run = await w.writer.startRun({ scenario, vendor, seed: o.seed ?? 7, versions: { engine: 'fixture' } }, { bucketNs: o.bucketNs ?? 1_000_000, batchSize: 1 << 16 });
    const rec = run.recorder;
    let faults = 0;
    let events = 0;
    const roundLen = Math.floor(steps / rounds);
    for (let i = 0; i < steps; i++) {
      const ts = i * stepNs;
      const iova = i === 0 ? KNOWN_IOVA : KNOWN_IOVA + rng.int(1 << 18) * 4096;
      const failed = i % 97 === 13;
      rec.slice('iommufd', 'IOMMU_IOAS_MAP', ts, 800, { iova, length: 4096, errno: failed ? 'EINVAL' : 0, ioas_id: 1 });
      rec.slice('hw.dma', 'dma_write', ts + 100, 300, { sid: i % 3, pasid: 0, iova, length: 4096 });
      rec.slice('hw.cmdq', ve.inv[i % ve.inv.length], ts + 500, 200 + 100 * vi);
      events += 3;
      const dirty = 1 + ((i * (vi + 1)) % 7);
      rec.count('dirty_pages', ts, dirty);
      rec.count('pte_read', ts, 4 + vi);
      rec.count('pte_write_atomic', ts, 1 + (i % 2));
      rec.count('iotlb_hit', ts, 10);
      rec.count('iotlb_miss', ts, 1 + vi);
      rec.count('dma_bytes', ts, 4096 * dirty);
      if (i % 50 === 7) {
        const t = ve.faultTypes[(i / 50) % ve.faultTypes.length | 0];
        rec.instant('hw.fault', ve.fault, ts + 700, { iova, [ve.devKey]: i % 3, [ve.faultKey]: t });
        rec.count('faults', ts, 1);
        faults++;
        events++;
      }
      if (i % 100 === 11) {
        const grpid = i % 512;
        rec.instant('hw.fault', 'page_request', ts + 710, { device: 'dev1', pasid: 1, iova, grpid, perm: 'w' });
        if (i % 300 !== 11) rec.instant('hw.fault', 'page_response', ts + 9000, { device: 'dev1', pasid: 1, grpid, code: 'SUCCESS' });
        events += i % 300 !== 11 ? 2 : 1;
      }
      if ((i + 1) % roundLen === 0) {
        const round = (i + 1) / roundLen;
        const dp = Math.max(1, 4000 >> round) * (vi + 1);
        rec.slice('migration', 'migration_round', ts - roundLen * stepNs + stepNs, roundLen * stepNs - stepNs, { round, dirty_pages: dp, bytes_sent: dp * 4096 });
        events++;
      }
    }
    await run.finish(info.simEndNs);
    info.runIds.push(run.runId);
    info.faults.push(faults);
    info.events.push(events);
  }
  await w.writer.close();
  return info;
}
