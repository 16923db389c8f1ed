/**
 * Where recorded runs go: the engine's orchestration (core/scenario) records each vendor run
 * through a RunSink; core/store implements it over the SQLite writer. Declared here, beside
 * the recorder, so the store knows runs and events but not scenarios.
 */
import type { EventBatch } from './batch';
import type { Recorder } from './types';

/** What a run row records about its origin (stored as JSON; the sink reads only `recording`). */
export interface RunInfo<S = unknown> {
  /** The scenario (or replay description) the run executes; `recording: 'dma'` asks for every DMA access. */
  scenario: S;
  vendor: string;
  seed: number;
  versions: Record<string, string>;
}

/** Where runs are recorded. Errors reject the promises (the writer's StoreError message). */
export interface RunSink<S = unknown> {
  /** Begin a run row; returns its id and the recorder to write into. */
  startRun(info: RunInfo<S>): Promise<{ runId: number; recorder: Recorder }>;
  finishRun(runId: number, simEndNs: number, status: 'complete' | 'failed'): Promise<void>;
  /** Queue a batch recorded in another thread for run `runId` (parallel executors). */
  postBatch?(runId: number, batch: EventBatch): void;
}
