/** Messages between TraceWriter (./writer.ts) and the writer worker (./writer-worker.ts). */
import type { EventBatch } from '../trace/batch';
import type { RunInfo } from './insert';

export type WriterRequest =
  | { t: 'begin'; id: number; info: RunInfo; pid: number }
  | { t: 'batch'; runId: number; batch: EventBatch }
  | { t: 'end'; id: number; runId: number; status: 'complete' | 'failed'; simEndNs: number | null }
  | { t: 'close'; id: number };

export type WriterReply = { t: 'ok'; id: number; value: number } | { t: 'err'; id: number; message: string };
