/**
 * RunSink over the SQLite writer: each vendor run of a comparison becomes one `run` row
 * recorded through the single writer (core/store/writer.ts). Open with {@link openRunSink},
 * close when the comparison is done (indexes are built then).
 */
import type { RunSink } from '../scenario/runner';
import type { EventBatch } from '../trace/batch';
import type { Recorder } from '../trace/types';
import type { StoreError } from './db';
import { openWriter, type RunRecorder, type TraceWriter } from './writer';

export class StoreRunSink implements RunSink {
  private readonly runs = new Map<number, RunRecorder>();
  constructor(private readonly writer: TraceWriter) {}

  async startRun(info: Parameters<RunSink['startRun']>[0]): Promise<{ runId: number; recorder: Recorder }> {
    const r = await this.writer.startRun({ scenario: info.scenario, vendor: info.vendor, seed: info.seed, versions: info.versions }, { traceDma: info.scenario.recording === 'dma' });
    this.runs.set(r.runId, r);
    return { runId: r.runId, recorder: r.recorder };
  }

  async finishRun(runId: number, simEndNs: number, status: 'complete' | 'failed'): Promise<void> {
    await this.runs.get(runId)?.finish(simEndNs, status);
    this.runs.delete(runId);
  }

  /** Batches of a run recorded in another thread (see core/cli/parallel.ts). */
  postBatch(runId: number, batch: EventBatch): void {
    this.writer.postBatch(runId, batch);
  }

  /** Build indexes and close the database. */
  close(): Promise<void> {
    return this.writer.close();
  }
}

/** Open (or create) `path` for recording runs. Errors: StoreError values of openStore. */
export async function openRunSink(path: string): Promise<{ ok: true; sink: StoreRunSink } | { ok: false; error: StoreError }> {
  const w = await openWriter(path);
  return w.ok ? { ok: true, sink: new StoreRunSink(w.writer) } : w;
}
