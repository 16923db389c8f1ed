/**
 * The default comparison (nic-rx-16g: 3 vendors, 16 GiB guest, 4 KiB pages, 20 rounds)
 * end to end with full op recording into a temporary SQLite file, vendors in parallel
 * worker threads as the CLI runs them. Issue 7 target: ≤ 20 s on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parallelExecutor } from '../../core/run/parallel';
import { loadPreset, DEFAULT_PRESET } from '../../core/scenario/presets';
import { runComparison } from '../../core/scenario/runner';
import { openRunSink } from '../../core/store/run-sink';

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-compare-'));
  try {
    const sinkR = await openRunSink(join(dir, 'compare.sqlite'));
    if (!sinkR.ok) throw new Error(sinkR.error.message);
    const t = performance.now();
    const r = await runComparison(loadPreset(DEFAULT_PRESET)!, { sink: sinkR.sink, executor: parallelExecutor(sinkR.sink) });
    await sinkR.sink.close();
    const wallS = (performance.now() - t) / 1000;
    return {
      preset: DEFAULT_PRESET,
      wallSeconds: Number(wallS.toFixed(2)),
      targetSeconds: 20,
      meetsTarget: wallS <= 20,
      failed: r.failed,
      dmaAccessesPerVendor: r.summary.vendors.map((v) => v.totals.dmaAccesses),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
