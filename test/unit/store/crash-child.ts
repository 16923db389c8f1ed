// Child process for crash.test.ts: records slices through the worker writer forever,
// printing the number of committed slices after every batch, until it is SIGKILLed.
import { writeSync } from 'node:fs';
import { openWriter } from '../../../core/store/writer';

const path = process.argv[2];
const batch = Number(process.argv[3]);
const w = await openWriter(path, { maxInFlight: 2 });
if (!w.ok) throw new Error(w.error.message);
const run = await w.writer.startRun({ scenario: { crash: true }, vendor: 'intel', seed: 1, versions: {} }, { batchSize: batch });
for (let i = 0; ; i++) {
  run.recorder.slice('domain', 'iommu:map', i * 10, 5, { iova: (i % 4096) * 4096, length: 4096, paddr: i });
  if (i % 997 === 0) run.recorder.count('dirty_pages', i * 10, 1);
  if ((i + 1) % batch === 0) writeSync(1, `${w.writer.committedSlices()}\n`);
}
