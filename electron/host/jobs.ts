/**
 * Long calls (API method runComparison) and their cancellation (cancelJob). Each job has a
 * client-chosen id; progress events carry it as `callId`; cancelJob aborts its signal.
 * Presets (listPresets) come from core/scenario/presets.
 */
import type { ApiResult, ComparisonResult, PresetInfo, ProgressEvent, RunComparisonRequest } from '../api';
import { loadPreset, presetNames, presetText } from '../../core/scenario/presets';

/** Presets shipped with the engine, with their description and vendors. */
export function listPresets(): PresetInfo[] {
  return presetNames().map((name) => {
    const s = loadPreset(name);
    return { name, description: s?.description ?? '', vendors: s ? [...s.vendors] : [], text: presetText(name) ?? '' };
  });
}

export class Jobs {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly progress: (ev: ProgressEvent) => void) {}

  /** Optional features this build serves (EngineInfo.features). */
  features(): string[] {
    return [];
  }

  /** Abort a running job; false when no job has that id. */
  cancel(jobId: string): boolean {
    const c = this.running.get(jobId);
    c?.abort();
    return !!c;
  }

  /**
   * Run a scenario on every vendor it lists into `dbPath`. The comparison runner of
   * core/scenario is not part of this build yet, so this answers ENOSYS (see docs/ui.md).
   */
  async runComparison(req: RunComparisonRequest): Promise<ApiResult<ComparisonResult>> {
    if (this.running.has(req.jobId)) return { ok: false, error: { code: 'EBUSY', message: `job ${req.jobId} is already running` } };
    if (req.preset !== undefined && !presetNames().includes(req.preset)) return { ok: false, error: { code: 'ENOENT', message: `no preset named ${req.preset}` } };
    return { ok: false, error: { code: 'ENOSYS', message: 'the comparison runner (core/scenario) is not in this build yet: record with the command line and open the database' } };
  }
}
