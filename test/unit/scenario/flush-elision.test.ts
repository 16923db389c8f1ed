import { describe, expect, it } from 'vitest';
import { loadPreset } from '../../../core/scenario/presets';
import { runVendor } from '../../../core/scenario/runner';
import { NULL_RECORDER } from '../../../core/trace/types';

// The flush-elision what-if end to end: DMA through the vendor models, dirty reads through
// the domain; without the flush after clearing, writes through IOTLB entries caching
// "already dirty" never set D again.
describe('flush-elision-what-if preset', () => {
  for (const vendor of ['amd', 'intel', 'smmuv3'] as const) {
    it(`${vendor}: skipping the flush loses dirty pages; flushing loses none`, () => {
      const s = loadPreset('flush-elision-what-if')!;
      const lossy = runVendor(s, vendor, NULL_RECORDER);
      expect(lossy.missedPages).toBeGreaterThan(0);
      const flushed = runVendor({ ...s, migration: { ...s.migration, flushAfterClear: true } }, vendor, NULL_RECORDER);
      expect(flushed.missedPages).toBe(0);
      expect(flushed.rounds.length).toBeGreaterThan(lossy.rounds.length);
    });
  }
});
