/**
 * The sensitivity job started from the Sensitivity view (kept here so it survives switching
 * views): its id, progress per label (vendor titles for the baseline's rounds, 're-runs'),
 * and its result or error.
 */
import type { ProgressEvent, SensitivityResult } from '../../../../electron/api';
import { api } from '../../lib/api';

export const sensitivityJob = $state({
  id: '',
  running: false,
  progress: {} as Record<string, ProgressEvent>,
  error: null as string | null,
  result: null as SensitivityResult | null,
});

api.onProgress((ev) => {
  if (ev.callId === sensitivityJob.id) sensitivityJob.progress[ev.label] = ev;
});
