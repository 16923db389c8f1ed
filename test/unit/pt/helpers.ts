/** Shared helpers of the core/pt tests. */
import { PT_FORMATS, createPtIommu, TablePool, type GenericPt, type GenericPtOptions } from '../../../core/pt/index';
import type { IovaBitmapSink, LeafRef, PtFormatName } from '../../../core/pt/types';

export const FORMATS: PtFormatName[] = ['amdv1', 'vtdss', 'armv8', 'x86_64'];
/** Formats that record hardware dirty state (x86_64 has no pt_entry_is_write_dirty). */
export const DIRTY_FORMATS: PtFormatName[] = FORMATS.filter((f) => PT_FORMATS[f].dirty !== null);
export const SZ_4K = 0x1000;
export const SZ_64K = 0x1_0000;
export const SZ_2M = 0x20_0000;
export const SZ_32M = 0x200_0000;
export const SZ_1G = 0x4000_0000;

/** A fresh pool and table. */
export function mk(format: PtFormatName, opts: Partial<GenericPtOptions> = {}): { pool: TablePool; pt: GenericPt } {
  const pool = opts.pool ?? new TablePool();
  const pt = createPtIommu(format, { ...opts, pool });
  return { pool, pt };
}

/** Bitmap sink recording ranges (granule 4 KiB) into a Set of page numbers. */
export class PageSetSink implements IovaBitmapSink {
  readonly pages = new Set<number>();
  readonly records: [number, number][] = [];
  set(iova: number, length: number): void {
    this.records.push([iova, length]);
    for (let a = Math.floor(iova / SZ_4K); a < Math.ceil((iova + length) / SZ_4K); a++) this.pages.add(a);
  }
}

export function newRef(): LeafRef {
  return { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
}

/** Leaf list as "count x size" summary, e.g. { 0x1000: 16, 0x10000: 31 }. */
export function sizeHistogram(pt: GenericPt): Record<string, number> {
  const h: Record<string, number> = {};
  for (const l of pt.leaves()) {
    const k = '0x' + l.size.toString(16);
    h[k] = (h[k] ?? 0) + 1;
  }
  return h;
}
