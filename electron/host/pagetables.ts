/**
 * API methods pageTableMap and pageTableWalk: a run's IO page table at the end of the run
 * (and, for pageTableMap with `round`, its dirty state right before that round's read),
 * rebuilt in a worker thread (core/run/pagetable-worker.ts, called over comlink) by re-simulating the run from the
 * scenario and seed stored in its `run` row. Rebuilt tables stay cached (a few runs) so
 * zooming the map and walking IOVAs answer immediately after the first call.
 */
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { ApiResult, PageTableInfo, PageTableMap, PageTableWalk, WalkLevel } from '../api';
import { scenarioSchema } from '../../core/scenario/schema';
import type { VendorName } from '../../core/iommu/registry';
import { connect, type Peer, type Remote } from '../../core/rpc/comlink-port';
import { recordedDirtyPagesPerRound, runScenario } from '../../core/store/queries/rebuild';
import { workerStart } from '../../core/rpc/worker-entry';
import type { PageTableService, PageTableWorkerData } from '../../core/run/pagetable-worker';

interface Built {
  worker: Worker;
  peer: Peer<PageTableService>;
  ready: Promise<ApiResult<PageTableInfo>>;
}

/** Rebuilt runs kept alive (one comparison's vendors). */
const CACHE_RUNS = 3;

const hex = (v: number): string => `0x${v.toString(16)}`;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class PageTables {
  private readonly cache = new Map<string, Built>();

  private build(db: Database, dbPath: string, runId: number): Built | ApiResult<never> {
    const key = `${dbPath}\u0000${runId}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const row = runScenario(db, runId);
    if (!row) return { ok: false, error: { code: 'ENOENT', message: `no run ${runId}` } };
    const json = row.scenario;
    const replay = typeof json === 'object' && json !== null && (json as { kind?: unknown }).kind === 'replay';
    const parsed = scenarioSchema.safeParse(json);
    if (replay) return { ok: false, error: { code: 'EMEDIUMTYPE', message: `run ${runId} is a kernel-trace replay: its page table is not rebuilt (the run records the trace's map/unmap events, not a scenario)` } };
    if (!parsed.success) return { ok: false, error: { code: 'EMEDIUMTYPE', message: `run ${runId} does not carry a complete scenario, so its page table cannot be rebuilt` } };
    const recordedRounds = recordedDirtyPagesPerRound(db, runId);
    const start = workerStart('pagetable-worker');
    const data: PageTableWorkerData = { scenario: parsed.data, vendor: row.vendor as VendorName };
    const worker = new Worker(start.url, { workerData: { ...data, ...start.workerData } });
    const peer = connect<PageTableService>(worker, 'page-table worker');
    worker.once('exit', () => {
      if (this.cache.get(key)?.worker === worker) this.cache.delete(key);
    });
    const ready = peer.call((w) => w.info()).then(
      (m): ApiResult<PageTableInfo> => {
        const matches = recordedRounds.length === 0 ? null : recordedRounds.length === m.simulatedRounds.length && recordedRounds.every((v, i) => v === m.simulatedRounds[i]);
        return { ok: true, value: { runId, vendor: row.vendor, format: m.format, guestBytes: m.guestBytes, rebuiltMs: m.rebuiltMs, matchesRecording: matches, recordedRounds, roundDirtyPages: m.roundDirtyPages } };
      },
      (e: unknown): ApiResult<PageTableInfo> => ({ ok: false, error: { code: 'EIO', message: `rebuilding run ${runId}: ${message(e)}` } }),
    );
    const built = { worker, peer, ready };
    this.cache.set(key, built);
    while (this.cache.size > CACHE_RUNS) {
      const [oldKey, old] = this.cache.entries().next().value as [string, Built];
      this.cache.delete(oldKey);
      void old.worker.terminate();
    }
    return built;
  }

  private async ask<T>(db: Database, dbPath: string, runId: number, q: (w: Remote<PageTableService>) => Promise<T>): Promise<ApiResult<{ info: PageTableInfo; value: T }>> {
    const b = this.build(db, dbPath, runId);
    if ('ok' in b) return b;
    const info = await b.ready;
    if (!info.ok) return info;
    try {
      return { ok: true, value: { info: info.value, value: await b.peer.call(q) } };
    } catch (e) {
      return { ok: false, error: { code: 'EIO', message: `page-table worker: ${message(e)}` } };
    }
  }

  /** The IOVA map of [start, end) in `cells` cells; with `round`, the dirty state before that round's read (ERANGE for a round without a snapshot). */
  async map(db: Database, dbPath: string, req: { runId: number; start: number; end: number; cells: number; round?: number }): Promise<ApiResult<PageTableMap>> {
    const b = this.build(db, dbPath, req.runId);
    if (!('ok' in b) && req.round !== undefined) {
      const info = await b.ready;
      if (info.ok && req.round >= info.value.roundDirtyPages.length) return { ok: false, error: { code: 'ERANGE', message: `round ${req.round}: the rebuild kept the dirty state of rounds 0-${info.value.roundDirtyPages.length - 1}` } };
    }
    const r = await this.ask(db, dbPath, req.runId, (w) => w.map(req.start, req.end, req.cells, req.round));
    return r.ok ? { ok: true, value: { ...r.value.info, ...r.value.value, round: req.round ?? null } } : r;
  }

  /** The walk of one IOVA: each level's raw entry and decoded fields. */
  async walk(db: Database, dbPath: string, req: { runId: number; iova: number }): Promise<ApiResult<PageTableWalk>> {
    const r = await this.ask(db, dbPath, req.runId, (w) => w.walk(req.iova));
    if (!r.ok) return r;
    const levels: WalkLevel[] = r.value.value.map((s) => ({
      level: s.level,
      tablePhys: hex(s.tablePhys),
      index: s.index,
      raw: s.raw,
      kind: s.kind,
      fields: Object.entries(s.fields).map(([name, v]) => ({ name, value: typeof v === 'number' && (v > 9 || name.toLowerCase().includes('addr')) ? hex(v) : String(v) })),
    }));
    return { ok: true, value: { ...r.value.info, iova: req.iova, levels } };
  }

  /** Stop every rebuild worker (database closed or host disposed). */
  clear(): void {
    for (const b of this.cache.values()) void b.worker.terminate();
    this.cache.clear();
  }
}
