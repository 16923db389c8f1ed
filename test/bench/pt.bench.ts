/**
 * core/pt benchmarks (issue 3): map 16 GiB of 4 KiB pages; read_and_clear_dirty over 64 GiB
 * mapped with 4 KiB pages (16,777,216 leaves, 1% dirty) and with 2 MiB pages; translate 10 M
 * random IOVAs. Per format: rates (leaves/s, pages/s, translations/s) and table bytes.
 * Targets: dirty scan >= 150 M leaves/s, map >= 10 M pages/s, translate >= 20 M/s.
 * Rates use this process's CPU time (not simulated time); seeded. translate10M is uniformly
 * random over the 16 GiB (32 MiB of leaf tables: cache/TLB-miss bound); translate10MHot64MiB
 * is the same loop over a 64 MiB window (compute bound).
 */
import { Rng } from '../../core/base/rng';
import { createPtIommu, TablePool, iotlbGatherInit, type GenericPt } from '../../core/pt/index';
import { IOMMU_READ, IOMMU_WRITE, type IovaBitmapSink, type LeafRef, type PtFormatName } from '../../core/pt/types';

const GiB = 2 ** 30;
const RW = IOMMU_READ | IOMMU_WRITE;
/** OA base 4 KiB off a 2 MiB boundary, so every leaf is a 4 KiB page on every format. */
const OA_4K = 2 ** 40 + 0x1000;

/** Dirty bitmap at 4 KiB granule (bit per page), like iova_bitmap. */
class Bitmap implements IovaBitmapSink {
  readonly words: Uint32Array;
  constructor(bytes: number) {
    this.words = new Uint32Array(Math.ceil(bytes / 4096 / 32));
  }
  set(iova: number, length: number): void {
    let b = iova / 4096;
    const end = b + Math.max(1, length / 4096);
    const w = this.words;
    while (b < end && (b & 31) !== 0) { w[b >>> 5]! |= 1 << (b & 31); b++; }
    if (b + 32 <= end) { w.fill(0xffffffff, b >>> 5, (end >>> 5)); b = end - (end & 31); }
    while (b < end) { w[b >>> 5]! |= 1 << (b & 31); b++; }
  }
}

/**
 * Process CPU time in ms (user + system). The machine is shared by several engineers, so CPU
 * time of this process is a steadier basis for rates than wall time; both are reported.
 */
function now(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function mapRange(pt: GenericPt, bytes: number, oa: number, chunk: number): number {
  const t0 = now();
  for (let off = 0; off < bytes; off += chunk) {
    const rc = pt.mapPages(off, oa + off, chunk, RW);
    if (rc !== 0) throw new Error(`map failed ${rc}`);
  }
  return (now() - t0) / 1000;
}

function dirtyPercent(pt: GenericPt, bytes: number, pgsize: number, rng: Rng, fraction: number): number {
  const ref: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
  const leaves = bytes / pgsize;
  const n = Math.max(1, Math.round(leaves * fraction));
  for (let k = 0; k < n; k++) {
    const iova = rng.int(leaves) * pgsize;
    if (!pt.lookupLeaf(iova, ref)) throw new Error('unmapped');
    pt.hwAccess(ref, true, true, true);
  }
  return n;
}

/**
 * `reps` timed read_and_clear_dirty passes over [0, bytes), 1% of leaves dirtied (untimed)
 * before each, after up to 20 untimed warm-up passes; rate = leaves scanned / total scan CPU time.
 */
function scan(pt: GenericPt, bytes: number, pgsize: number, rng: Rng, reps: number) {
  const bm = new Bitmap(bytes);
  let total = 0;
  let dirtied = 0;
  // Untimed warm-up passes, so the first format measured does not pay for JIT compilation.
  for (let r = 0; r < Math.min(20, reps); r++) {
    dirtyPercent(pt, bytes, pgsize, rng, 0.01);
    pt.readAndClearDirty(0, bytes, 0, { bitmap: bm, gather: iotlbGatherInit() });
  }
  bm.words.fill(0);
  for (let r = 0; r < reps; r++) {
    dirtied = dirtyPercent(pt, bytes, pgsize, rng, 0.01);
    const g = iotlbGatherInit();
    const t0 = now();
    const rc = pt.readAndClearDirty(0, bytes, 0, { bitmap: bm, gather: g });
    total += (now() - t0) / 1000;
    if (rc !== 0) throw new Error(`read_and_clear_dirty ${rc}`);
  }
  let set = 0;
  for (const w of bm.words) set += popcount(w);
  const leaves = bytes / pgsize;
  return { leaves, passes: reps, dirtiedPerPass: dirtied, bitmapPagesSetAllPasses: set, secondsPerPass: total / reps, leavesPerSec: Math.round((leaves * reps) / total) };
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function benchFormat(fmt: PtFormatName): Record<string, unknown> {
  const rng = new Rng(0xd1127);
  const out: Record<string, unknown> = {};
  // 1. map 16 GiB with 4 KiB pages (16 calls of 1 GiB), then translate 10 M random IOVAs.
  {
    const pool = new TablePool();
    const pt = createPtIommu(fmt, { pool, dbmOnMap: fmt === 'armv8' });
    const bytes = 16 * GiB;
    const secs = mapRange(pt, bytes, OA_4K, GiB);
    out.map16GiB4K = { pages: bytes / 4096, seconds: secs, pagesPerSec: Math.round(bytes / 4096 / secs), tableBytes: pool.bytesInUse() };
    const n = 10_000_000;
    const iovas = new Float64Array(n);
    for (let k = 0; k < n; k++) iovas[k] = rng.int(bytes);
    let sum = 0;
    let t0 = now();
    for (let k = 0; k < n; k++) sum += pt.iovaToPhys(iovas[k]!);
    let dt = (now() - t0) / 1000;
    if (sum === 0) throw new Error('no translations');
    out.translate10M = { seconds: dt, perSec: Math.round(n / dt) };
    // Same count with a hot working set (random IOVAs within 64 MiB): compute-bound rate.
    for (let k = 0; k < n; k++) iovas[k] = rng.int(64 * 2 ** 20);
    t0 = now();
    for (let k = 0; k < n; k++) sum += pt.iovaToPhys(iovas[k]!);
    dt = (now() - t0) / 1000;
    out.translate10MHot64MiB = { seconds: dt, perSec: Math.round(n / dt) };
    for (let k = 0; k < n; k++) iovas[k] = rng.int(bytes);
    const ref: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
    let hits = 0;
    t0 = now();
    for (let k = 0; k < n; k++) if (pt.lookupLeaf(iovas[k]!, ref)) hits++;
    dt = (now() - t0) / 1000;
    out.lookupLeaf10M = { seconds: dt, perSec: Math.round(n / dt), hits };
    const g = iotlbGatherInit();
    t0 = now();
    const unmapped = pt.unmapPages(0, bytes, g);
    out.unmap16GiB4K = { seconds: (now() - t0) / 1000, bytes: unmapped };
    pt.releaseFreelist(g);
    pt.deinit();
    if (pool.inUse !== 0) throw new Error('leak');
  }
  // 2. read_and_clear_dirty over 64 GiB of 4 KiB pages, 1% dirty.
  {
    const pool = new TablePool();
    const pt = createPtIommu(fmt, { pool });
    const bytes = 64 * GiB;
    const secs = mapRange(pt, bytes, OA_4K, GiB);
    if (fmt === 'armv8') pt.setDirtyModifier(0, bytes, true, iotlbGatherInit());
    out.dirty64GiB4K = { ...scan(pt, bytes, 4096, rng, 4), mapSeconds: secs, tableBytes: pool.bytesInUse() };
    pt.deinit();
  }
  // 3. the same with 2 MiB pages.
  {
    const pool = new TablePool();
    const pt = createPtIommu(fmt, { pool });
    const bytes = 64 * GiB;
    mapRange(pt, bytes, 2 ** 40 + 2 ** 21, 64 * GiB); // 2 MiB aligned, never 32 MiB / 1 GiB aligned
    if (fmt === 'armv8') pt.setDirtyModifier(0, bytes, true, iotlbGatherInit());
    out.dirty64GiB2M = { ...scan(pt, bytes, 2 * 2 ** 20, rng, 200), tableBytes: pool.bytesInUse() };
    pt.deinit();
  }
  return out;
}

/** Entry point used by test/bench/run.ts. */
export async function run(): Promise<Record<string, unknown>> {
  const res: Record<string, unknown> = {};
  for (const fmt of ['amdv1', 'vtdss', 'armv8'] as const) res[fmt] = benchFormat(fmt);
  res.targets = { dirtyLeavesPerSec: 150e6, mapPagesPerSec: 10e6, translatePerSec: 20e6 };
  return res;
}
