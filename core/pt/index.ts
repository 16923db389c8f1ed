/**
 * Generic IO page table (core/pt): public entry points.
 *
 *   const pool = new TablePool();                        // simulated table memory
 *   const pt = createPtIommu('vtdss', { pool, levels: 5 }); // PtIommu (core/pt/types.ts)
 *
 * Formats: 'amdv1' (levels 1-6, default 4), 'vtdss' (4 or 5 levels), 'armv8' (4 levels,
 * 48-bit, stage 1, 4 KiB granule), 'x86_64' (4 or 5 levels; VT-d first stage, AMD v2).
 * See docs/pt.md.
 */
import type { PtFormatName } from './types';
import type { PtFormat } from './format';
import { amdv1 } from './formats/amdv1';
import { vtdss } from './formats/vtdss';
import { armv8 } from './formats/armv8';
import { x86_64 } from './formats/x86_64';
import { GenericPt, type GenericPtOptions } from './walker';

/** Format modules by name. */
export const PT_FORMATS: Readonly<Record<PtFormatName, PtFormat>> = { amdv1, vtdss, armv8, x86_64 };

/**
 * Create an empty IO page table of `format` whose table pages come from `opts.pool`.
 * Throws RangeError for an unsupported `levels`, Error if the top table cannot be allocated.
 */
export function createPtIommu(format: PtFormatName, opts: GenericPtOptions): GenericPt {
  return new GenericPt(PT_FORMATS[format], opts);
}

export { GenericPt } from './walker';
export type { GenericPtOptions, PtLeaf, CutDirtyPolicy } from './walker';
export { TablePool, TABLE_PHYS_BASE, TABLE_PAGE_BYTES, TABLE_ENTRIES } from './pool';
export type { TablePoolOptions } from './pool';
export { FailNth } from '../base/fail-nth';
export {
  iotlbGatherInit, iotlbGatherReset, iotlbGatherAddRange, iotlbGatherAddPage,
  iotlbGatherIsDisjoint, iotlbGatherIsEmpty, iotlbGatherReleaseFreelist,
} from './gather';
export { PT_ATTR } from './format';
export type { PtFormat, PtFeatures } from './format';
