/**
 * Worker thread of one replay job (electron/host/jobs.ts, API method replayTrace): imports
 * the uploaded ftrace (and QEMU xlate) text with core/trace's parsers, which never throw and
 * count malformed lines, then replays it on each vendor in turn with core/scenario replayOnVendor
 * (what `npm run cli -- replay --db` runs), recording one run per vendor through the single
 * SQLite writer. The host thread stays free to answer queries. The host calls `run` over
 * comlink (core/rpc) and gets progress events on the same port. Cancellation comes through a
 * shared flag in the request, read synchronously every 4096 events and between vendors.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { serve } from '../rpc/comlink-port';
import type { LineError, ReplayDmaMode, ReplayFlushPolicy, ReplayImportSummary, ReplayVendorResult } from './replay-types';
import { replayInputProblem, replayOnVendor } from '../scenario/replay';
import { checkReplayLimits } from '../scenario/limits';
import { machineLimits } from './machine-limits';
import type { VendorName } from '../iommu/registry';
import { vendorTitle } from '../iommu/registry';
import { openWriter } from '../store/writer';
import { parseFtrace } from '../trace/ftrace';
import { parseQemuXlate, type QemuTranslation } from '../trace/qemu';
import { ENGINE_VERSION } from '../base/version';

/** Input of the worker (validated by the host's zod schema before it gets here). */
export interface ReplayWorkerData {
  traceText: string;
  traceName: string;
  xlateText?: string;
  xlateName?: string;
  vendors: VendorName[];
  flush: ReplayFlushPolicy;
  dma: ReplayDmaMode;
  nonCoherent: boolean;
  dbPath: string;
  /** Int32Array view over a SharedArrayBuffer; [0] = 1 once cancelled. */
  cancel: Int32Array;
}

/** Progress event the worker posts on its port while replaying: events replayed of `total` for one vendor. */
export type ReplayProgressMessage = { type: 'progress'; vendor: string; done: number; total: number };

/**
 * Result of {@link ReplayService.run}: the runs recorded, or an errno-named error (ENODATA:
 * nothing to replay; the store's codes when the database cannot be opened). `summary` is the
 * import summary once the trace was parsed.
 */
export type ReplayJobResult =
  | { ok: true; summary: ReplayImportSummary; results: ReplayVendorResult[]; failed: { vendor: string; message: string }[]; cancelled: boolean }
  | { ok: false; code: string; message: string; summary: ReplayImportSummary | null };

/** Malformed lines listed in the summary (all are counted). */
export const FIRST_ERRORS = 5;

const port = parentPort;
if (!port) throw new Error('replay-worker must run in a worker_thread');
const post = (m: ReplayProgressMessage): void => port.postMessage(m);
const firstErrors = (errors: LineError[]): LineError[] => errors.slice(0, FIRST_ERRORS).map((e) => ({ line: e.line, message: e.message.slice(0, 200) }));

/**
 * Import and replay `data` (see the file comment). The cancel flag is read synchronously
 * every 4096 events and between vendors: the replay loop never yields, so a message could
 * not reach it.
 */
async function run(data: ReplayWorkerData): Promise<ReplayJobResult> {
  const signal = {
    get aborted(): boolean {
      return Atomics.load(data.cancel, 0) === 1;
    },
  };
  const imp = parseFtrace(data.traceText);
  const count = (k: string): number => imp.events.reduce((n, e) => n + (e.event === k ? 1 : 0), 0);
  let xlate: QemuTranslation[] | undefined;
  let xlateSummary: ReplayImportSummary['xlate'] = null;
  let xlateErrors: LineError[] | undefined;
  if (data.xlateText !== undefined) {
    const x = parseQemuXlate(data.xlateText);
    xlate = x.translations;
    xlateErrors = x.errors;
    xlateSummary = { lines: x.lines, translations: x.translations.length, malformed: x.errors.length, firstErrors: firstErrors(x.errors) };
  }
  const summary: ReplayImportSummary = {
    lines: imp.lines,
    events: imp.events.length,
    maps: count('map'),
    unmaps: count('unmap'),
    faults: count('io_page_fault'),
    markers: imp.markers.length,
    skipped: imp.skipped,
    malformed: imp.errors.length,
    firstErrors: firstErrors(imp.errors),
    xlate: xlateSummary,
  };
  // The same check and message as the CLI's `replay` (ENODATA).
  const problem = replayInputProblem(data.traceName, imp, data.dma, xlateErrors && { name: data.xlateName ?? 'xlate file', translations: xlate?.length ?? 0, errors: xlateErrors });
  if (problem) return { ok: false, ...problem, summary };
  // The CLI's check: refuse what this machine cannot finish before the database is touched.
  const over = checkReplayLimits(data.traceName, imp.events, data.dma, xlate?.length ?? 0, data.vendors.length, machineLimits(1), 'replay it from the command line with --ignore-limits');
  if (over) return { ok: false, code: 'E2BIG', message: over.message, summary };
  // Which trace a run replayed: its name (for people) and a digest (the same file under another name).
  const sha256 = createHash('sha256').update(data.traceText).digest('hex');
  const w = await openWriter(data.dbPath);
  if (!w.ok) return { ok: false, code: w.error.code, message: w.error.message, summary };
  const writer = w.writer;
  const results: ReplayVendorResult[] = [];
  const failed: { vendor: string; message: string }[] = [];
  const total = imp.events.length;
  for (const v of data.vendors) post({ type: 'progress', vendor: v, done: 0, total });
  try {
    for (const v of data.vendors) {
      if (signal.aborted) break;
      // Like the CLI's `kind: 'replay'` scenario, plus a name for the Runs list and Compare.
      const scenario = {
        kind: 'replay',
        name: `replay ${data.traceName}`,
        trace: data.traceName,
        traceSha256: sha256,
        flush: data.flush,
        dma: data.dma,
        xlate: data.xlateName ?? (data.xlateText !== undefined ? 'xlate' : null),
        nonCoherent: data.nonCoherent,
      };
      const run = await writer.startRun({ scenario, vendor: v, seed: 0, versions: { engine: ENGINE_VERSION } });
      try {
        const r = replayOnVendor(v, imp.events, {
          flush: data.flush,
          dma: data.dma,
          xlate,
          recorder: run.recorder,
          nonCoherent: data.nonCoherent,
          signal,
          onProgress: (done, all) => post({ type: 'progress', vendor: v, done, total: all }),
        });
        const cancelled = r.stats.cancelled === true;
        await run.finish(r.stats.endNs, cancelled ? 'failed' : 'complete');
        const c = r.counters;
        const commands = Object.entries(c)
          .filter(([k, n]) => k.startsWith('cmd:') && n > 0)
          .map(([k, n]) => ({ name: k.slice(4), count: n }));
        const cpuNs = (r.costNs.cache_flush_call ?? 0) + (r.costNs.cache_flush_line ?? 0);
        results.push({
          vendor: v,
          vendorTitle: vendorTitle(v),
          runId: run.runId,
          maps: r.stats.maps,
          mapLists: r.stats.mapLists,
          unmaps: r.stats.unmaps,
          mappedBytes: r.stats.mappedBytes,
          unmappedBytes: r.stats.unmappedBytes,
          errors: Object.values(r.stats.errors).reduce((a, b) => a + b, 0),
          errorsByErrno: r.stats.errors,
          syncs: r.stats.syncs,
          flushAll: r.stats.flushAll,
          dmaAccesses: r.stats.dmaAccesses,
          dmaFaults: r.stats.dmaFaults,
          commands,
          writeBacks: c.pt_cache_flush ? { calls: c.pt_cache_flush, lines: c.pt_cache_flush_lines ?? 0, cpuNs } : null,
          endNs: r.stats.endNs,
          cancelled,
        });
      } catch (e) {
        // replayOnVendor throws only when the model cannot allocate or attach the domain.
        await run.finish(null, 'failed');
        failed.push({ vendor: v, message: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    // Close (indexes built, writer gone) before reporting, so the host can read at once.
    await writer.close();
  }
  // A cancel that came after the last vendor finished changed nothing.
  const cancelled = results.some((r) => r.cancelled) || results.length + failed.length < data.vendors.length;
  return { ok: true, summary, results, failed, cancelled };
}

const service = { run };

/** What the replay worker serves (core/rpc): one `run` per worker. */
export type ReplayService = typeof service;

serve(service, port);
