/**
 * RunSink over the SQLite writer: each vendor run of a comparison becomes one `run` row
 * recorded through the single writer (core/store/writer.ts). Open with {@link openRunSink},
 * close when the comparison is done (indexes are built then).
 */
import type { RunInfo, RunSink } from '../trace/run-sink';
import Database from 'better-sqlite3';
import type { EventBatch } from '../trace/batch';
import { insertComparison, type StoredComparison } from './comparison';
import type { Recorder } from '../trace/types';
import type { StoreError } from './db';
import { openWriter, type RunRecorder, type TraceWriter } from './writer';

export class StoreRunSink implements RunSink<{ recording?: unknown }> {
  private readonly runs = new Map<number, RunRecorder>();
  private readonly comparisons: StoredComparison[] = [];
  constructor(
    private readonly writer: TraceWriter,
    private readonly path: string,
  ) {}

  async startRun(info: RunInfo<{ recording?: unknown }>): Promise<{ runId: number; recorder: Recorder }> {
    const r = await this.writer.startRun({ scenario: info.scenario, vendor: info.vendor, seed: info.seed, versions: info.versions }, { traceDma: info.scenario.recording === 'dma' });
    this.runs.set(r.runId, r);
    return { runId: r.runId, recorder: r.recorder };
  }

  async finishRun(runId: number, simEndNs: number, status: 'complete' | 'failed'): Promise<void> {
    await this.runs.get(runId)?.finish(simEndNs, status);
    this.runs.delete(runId);
  }

  /** Batches of a run recorded in another thread (see core/run/parallel.ts). */
  postBatch(runId: number, batch: EventBatch): void {
    this.writer.postBatch(runId, batch);
  }

  /** Store the comparison summary; written when the sink closes (after the writer). */
  saveComparison(summary: StoredComparison): void {
    this.comparisons.push(summary);
  }

  /** Build indexes, close the writer, then record the comparisons. */
  async close(): Promise<void> {
    await this.writer.close();
    if (this.comparisons.length === 0) return;
    const db = new Database(this.path);
    try {
      for (const s of this.comparisons.splice(0)) insertComparison(db, s);
    } finally {
      db.close();
    }
  }
}

/** Open (or create) `path` for recording runs. Errors: StoreError values of openStore. */
export async function openRunSink(path: string): Promise<{ ok: true; sink: StoreRunSink } | { ok: false; error: StoreError }> {
  const w = await openWriter(path);
  return w.ok ? { ok: true, sink: new StoreRunSink(w.writer, path) } : w;
}
