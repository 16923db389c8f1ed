/**
 * The format-agnostic IO page-table walker: one implementation of {@link PtIommu} for every
 * format, modelled on drivers/iommu/generic_pt/iommu_pt.h (map_pages, unmap_pages,
 * iova_to_phys, deinit). It never names a vendor: all entry encoding goes through the
 * {@link PtFormat} module. Dirty tracking lives in ./dirty.ts, cut_mapping in ./cut.ts.
 *
 * Hot paths (lookupLeaf, iovaToPhys, map at level 0) use precomputed per-level item sizes and
 * pt_compute_best_pgsize lookup tables, plain numbers and typed arrays, no allocation.
 * Sources: drivers/iommu/generic_pt/ (iommu_pt.h, pt_iter.h, kunit_iommu_pt.h).
 */
import { ERRNO } from '../base/errno';
import type {
  HwAccess, IommuDirtyBitmap, IotlbGather, LeafRef, PtFormatCaps, PtFormatName, PtIommu, PtWalkStep,
} from './types';
import { IOMMU_READ, IOMMU_WRITE } from './types';
import { rawHex, type PtFeatures, type PtFormat } from './format';
import { CHUNK_PAGES_LG2, type TablePool } from './pool';
import { iotlbGatherReleaseFreelist } from './gather';
import { POW2 as POW2Import, alignLg2 as alignLg2Import, floorLg2 as floorLg2Import } from '../base/bits';
import { freeSubtree, mapPages } from './map';
import { unmapPages } from './unmap';
import { readAndClearDirty, setDirtyModifier, writeProtectAndClear } from './dirty';
import { cutMapping } from './cut';
import { IncoherentCache } from './incoherent';

/** What happens to hardware dirty bits of a leaf that cut_mapping splits (docs/pt.md). */
export type CutDirtyPolicy = 'carry' | 'drop';

/** Options of {@link GenericPt} (see createPtIommu in ./index.ts). */
export interface GenericPtOptions {
  pool: TablePool;
  /** Number of table levels (format default when absent). */
  levels?: number;
  /** Override PT_FEAT_OA_TABLE_XCHG / PT_FEAT_OA_SIZE_CHANGE (e.g. Arm without BBML2). */
  features?: Partial<PtFeatures>;
  /** 'carry' (default): split leaves inherit the old leaf's D/A; 'drop': the posted patch's FIXME (docs/threads.md). */
  cutDirtyPolicy?: CutDirtyPolicy;
  /** Reproduce defect D1 of the posted cut_mapping (off-by-one in replace_cut_entry, docs/threads.md). Tests only. */
  literalSeedBugD1?: boolean;
  /** Arm: install writable leaves with DBM set (writable-dirty, as io-pgtable-arm with HD). */
  dbmOnMap?: boolean;
  /** Called after every atomic write to a live item during cut_mapping (hitless probes). */
  onCutStep?: () => void;
  /** Called just before cut installs its private table (tests simulate a racing writer). */
  onCutBeforeInstall?: () => void;
  /**
   * PT_FEAT_DMA_INCOHERENT: the walker does not snoop CPU caches (VT-d ECAP.SMPWC = 0, SMMUv3
   * without IDR0.COHACC); table writes are written back and counted (./incoherent.ts), and
   * the dirty-tracking ops return -EOPNOTSUPP as in the kernel. Default false.
   */
  dmaIncoherent?: boolean;
  /**
   * domain.pgsize_bitmap: leaf sizes (bit n = 2^n bytes) map and cut may use, ANDed with the
   * format's possible sizes as compute_best_pgsize does (e.g. VT-d first stage without
   * CAP.FL1GP drops 1 GiB). Default: every size the format allows. Must keep 4 KiB.
   */
  pgsizeBitmap?: number;
  /**
   * PT_FEAT_DYNAMIC_TOP (AMD v1): the table starts with `levels` levels and map grows the top,
   * one level at a time, up to `maxLevels` whenever an IOVA beyond the current top is mapped
   * (iommu_pt.h increase_top; pre-6.19 io_pgtable.c increase_address_space). `onChangeTop`
   * runs after each growth (struct pt_iommu_driver_ops.change_top: the driver points its
   * device-table entries at the new top); a negative return undoes the growth and fails the map.
   */
  dynamicTop?: { maxLevels: number; onChangeTop?: (pt: GenericPt, oldRootPhys: number) => number };
}

/** One leaf of the table, for tests and the inspector. */
export interface PtLeaf {
  iova: number;
  size: number;
  oa: number;
  level: number;
  /** PT_ATTR bits (READ, WRITE, DIRTY, ACCESSED, DBM); DIRTY/ACCESSED ORed over items. */
  attrs: number;
}

// Module-local copies: imported bindings can compile to getter calls (tsx/vite transforms),
// which must stay out of per-entry loops.
const EMPTY = 0;
const TABLE = 1;
const OA = 2;
const TWO32 = 4294967296;
const POW2 = POW2Import;
// Local bindings of hot helpers (an imported binding may compile to a getter call).
const alignLg2 = alignLg2Import;
const floorLg2 = floorLg2Import;
const CH_LG2: number = CHUNK_PAGES_LG2;
const CHUNK_MASK = (1 << CH_LG2) - 1;
const A_READ = 1;
const A_WRITE = 2;

function itemLg2(level: number): number {
  return 12 + 9 * level;
}

/** The generic page table. */
export class GenericPt implements PtIommu {
  readonly formatName: PtFormatName;
  readonly caps: PtFormatCaps;
  /** Top level index; grows with PT_FEAT_DYNAMIC_TOP (see {@link growTop}). */
  topLevel: number;
  /** Pool page of the top table; changes when the top grows. */
  rootPage: number;
  /** Largest IOVA + 1 the table translates now, bytes. */
  vaLimit: number;
  /** Largest IOVA + 1 the table can ever translate (after growing to its maximum levels), bytes. */
  readonly maxVaLimit: number;
  /** Most levels the table may have (levels at creation unless PT_FEAT_DYNAMIC_TOP). */
  readonly maxLevels: number;
  /** Growths of the top so far (PT_FEAT_DYNAMIC_TOP). */
  topGrowths = 0;
  private readonly onChangeTop: ((pt: GenericPt, oldRootPhys: number) => number) | null;
  readonly fmt: PtFormat;
  readonly pool: TablePool;
  readonly features: PtFeatures;
  readonly cutDirtyPolicy: CutDirtyPolicy;
  readonly literalSeedBugD1: boolean;
  /** Arm: writable leaves get DBM at map time (set by the driver when HD is in use). */
  dbmOnMap: boolean;
  /**
   * PT_FEAT_VTDSS_FORCE_COHERENCE: leaves installed from now on carry PT_ATTR.SNOOP (VT-d
   * SNP). Set by the driver's enforce_cache_coherency; formats without such a bit ignore it.
   */
  forceCoherence = false;
  onCutStep: (() => void) | null;
  onCutBeforeInstall: (() => void) | null;
  /**
   * Work counters of read_and_clear_dirty walks, for the drivers' walker profiles
   * (core/iommu/dirty-walk.ts). Cumulative; callers take deltas. All range-clipped:
   * - dirtyTablesVisited, dirtyEntriesRead: tables and entries a single-descent walker loads
   *   (empty entries included, empty subtrees not entered);
   * - dirtyLeaves / dirtyLeafItems: present leaves in range (a replicated or contiguous leaf
   *   counts once / with every item); dirtyLeafDepth: the entries a from-root walk reads to
   *   reach each of them, summed (top level - leaf level + 1 per leaf);
   * - dirtyHoles / dirtyHoleDepth: non-present entries in range and the from-root reads that
   *   reach each of them (where a per-leaf walker stops and skips that entry's span);
   * - dirtyRecords: dirty leaves recorded; dirtyEntriesCleared: items whose D was cleared
   *   (every item of a dirty multi-item leaf).
   */
  readonly stats = {
    dirtyTablesVisited: 0, dirtyEntriesRead: 0, dirtyEntriesCleared: 0,
    dirtyLeaves: 0, dirtyLeafItems: 0, dirtyLeafDepth: 0, dirtyHoles: 0, dirtyHoleDepth: 0, dirtyRecords: 0,
  };
  /** Write-back state when PT_FEAT_DMA_INCOHERENT is set, else null. */
  readonly incoherent: IncoherentCache | null;
  /** PT_WARN_ON / WARN diagnostics (generic_pt's PT_WARN_ON): appended, never thrown. */
  readonly warnings: string[] = [];
  /** Item size in bytes per level. */
  readonly itemSize: Float64Array;
  /** 1 / item size per level (exact: powers of two). */
  readonly invItem: Float64Array;
  /** best[level][m]: largest leaf lg2 allowed at level that is <= m, or 0 (pt_compute_best_pgsize). */
  readonly best: Int8Array[];
  /** typeLut[level][(lo >>> typeShift) & typeMask]: entry type of a present item. */
  readonly typeLut: Uint8Array[];
  readonly presentLo: number;
  readonly oaHiMask: number;
  readonly typeShift: number;
  readonly typeMask: number;
  readonly grpLoMask: number;
  readonly grpLoVal: number;
  readonly grpHiMask: number;
  readonly grpHiVal: number;
  /** Single-item leaf templates (entry bits without the OA) per level for the current attrs. */
  readonly tplLo: Float64Array;
  readonly tplHi: Float64Array;
  tplAttrs = -1;
  /**
   * The level-0 table the last map wrote into (pool page, first IOVA it covers) and the
   * pool's free count then: valid while no table has been freed since, so runs of
   * single-page maps (iommufd's batch_iommu_map_small) skip the walk from the root.
   */
  l0Page = -1;
  l0Base = 0;
  l0Frees = -1;
  private held = 1;

  constructor(fmt: PtFormat, opts: GenericPtOptions) {
    const levels = opts.levels ?? fmt.defaultLevels;
    if (!Number.isInteger(levels) || levels < fmt.minLevels || levels > fmt.maxLevels) {
      throw new RangeError(`${fmt.name}: levels must be ${fmt.minLevels}..${fmt.maxLevels}`);
    }
    if (opts.pgsizeBitmap !== undefined && Math.floor(opts.pgsizeBitmap / 4096) % 2 !== 1) {
      throw new RangeError(`${fmt.name}: pgsizeBitmap must include 4 KiB`);
    }
    this.fmt = fmt;
    this.formatName = fmt.name;
    this.pool = opts.pool;
    const maxLevels = opts.dynamicTop?.maxLevels ?? levels;
    if (!Number.isInteger(maxLevels) || maxLevels < levels || maxLevels > fmt.maxLevels) {
      throw new RangeError(`${fmt.name}: dynamic top maxLevels must be ${levels}..${fmt.maxLevels}`);
    }
    this.maxLevels = maxLevels;
    this.onChangeTop = opts.dynamicTop?.onChangeTop ?? null;
    this.topLevel = levels - 1;
    this.vaLimit = 2 ** Math.min(fmt.vaLg2(levels), 53);
    this.maxVaLimit = 2 ** Math.min(fmt.vaLg2(maxLevels), 53);
    this.features = { ...fmt.defaultFeatures, ...opts.features };
    this.cutDirtyPolicy = opts.cutDirtyPolicy ?? 'carry';
    this.literalSeedBugD1 = opts.literalSeedBugD1 ?? false;
    this.dbmOnMap = opts.dbmOnMap ?? false;
    this.onCutStep = opts.onCutStep ?? null;
    this.onCutBeforeInstall = opts.onCutBeforeInstall ?? null;
    this.incoherent = opts.dmaIncoherent ? new IncoherentCache() : null;
    this.itemSize = new Float64Array(maxLevels);
    this.invItem = new Float64Array(maxLevels);
    this.best = [];
    this.typeLut = [];
    this.presentLo = fmt.presentLo;
    this.oaHiMask = fmt.oaHiMask;
    this.typeShift = fmt.typeShift;
    this.typeMask = fmt.typeMask;
    // A format without multi-item leaves gets a group test that never matches.
    this.grpLoMask = fmt.group ? fmt.group.loMask : 0;
    this.grpLoVal = fmt.group ? fmt.group.loVal : 1;
    this.grpHiMask = fmt.group ? fmt.group.hiMask : 0;
    this.grpHiVal = fmt.group ? fmt.group.hiVal : 0;
    this.tplLo = new Float64Array(maxLevels);
    this.tplHi = new Float64Array(maxLevels);
    let pgsizeBitmap = 0;
    for (let l = 0; l < maxLevels; l++) {
      this.itemSize[l] = 2 ** itemLg2(l);
      this.invItem[l] = 2 ** -itemLg2(l);
      const sizes = fmt.possibleSizes(l, maxLevels - 1).filter((s) => s < fmt.oaLg2 && s < 53 && (opts.pgsizeBitmap === undefined || Math.floor(opts.pgsizeBitmap / 2 ** s) % 2 === 1));
      const tbl = new Int8Array(64);
      for (let m = 0; m < 64; m++) {
        let b = 0;
        for (const s of sizes) if (s <= m && s > b) b = s;
        tbl[m] = b;
      }
      this.best.push(tbl);
      const lut = new Uint8Array(fmt.typeMask + 1);
      for (let v = 0; v <= fmt.typeMask; v++) lut[v] = fmt.entryType(fmt.presentLo | (v << fmt.typeShift), 0, l);
      this.typeLut.push(lut);
      for (const s of sizes) pgsizeBitmap += 2 ** s;
    }
    this.caps = {
      supportsDirty: fmt.dirty !== null && this.incoherent === null,
      cut: this.features.oaTableXchg && (!(fmt.contiguous || fmt.replicated) || this.features.oaSizeChange),
      contiguous: fmt.contiguous,
      replicated: fmt.replicated,
      pgsizeBitmap,
    };
    const root = this.pool.alloc('pt_top_table');
    if (root < 0) throw new Error('TablePool: cannot allocate the top table');
    if (this.incoherent) {
      // table_alloc_top(ALLOC_NORMAL): the top table is written back before the hardware sees it.
      this.incoherent.onAlloc(root);
      if (this.incoherent.start(root) !== 0) {
        this.pool.free(root);
        throw new Error('iommu_pages_start_incoherent failed for the top table');
      }
    }
    this.rootPage = root;
  }

  get rootPhys(): number {
    return this.pool.phys(this.rootPage);
  }

  /**
   * PT_FEAT_DYNAMIC_TOP: grow the table until it translates [0, lastVa] (iommu_pt.h
   * increase_top): each growth allocates a new top table whose item 0 points at the old top,
   * then calls the driver's change_top. 0, -ERANGE (beyond maxLevels), -ENOMEM, or the
   * driver's error (that growth undone).
   */
  growTo(lastVa: number): number {
    while (lastVa >= this.vaLimit) {
      if (this.topLevel + 1 >= this.maxLevels) return -ERRNO.ERANGE;
      const p = this.allocTableNormal('pt_top_table');
      if (p < 0) return p;
      const newTop = this.topLevel + 1;
      this.fmt.writeTable(this.pool.pages[p]!, 0, newTop, this.pool.phys(this.rootPage));
      this.incoherent?.flushRange(0, 1);
      const oldRoot = this.rootPage;
      const oldLimit = this.vaLimit;
      this.rootPage = p;
      this.topLevel = newTop;
      this.vaLimit = 2 ** Math.min(this.fmt.vaLg2(newTop + 1), 53);
      this.tplAttrs = -1;
      const rc = this.onChangeTop ? this.onChangeTop(this, this.pool.phys(oldRoot)) : 0;
      if (rc < 0) {
        this.rootPage = oldRoot;
        this.topLevel = newTop - 1;
        this.vaLimit = oldLimit;
        this.freeTable(p);
        this.held--;
        return rc;
      }
      this.topGrowths++;
    }
    return 0;
  }

  /** Item index of va at level. */
  index(va: number, level: number): number {
    return (va * this.invItem[level]!) & 511;
  }

  /** Page index of the table a TABLE item points to. */
  childPage(lo: number, hi: number): number {
    return (hi & this.oaHiMask) * 1048576 + (lo >>> 12) - this.pool.basePfn;
  }

  /** Entry type of item (lo) at level: EMPTY, TABLE or OA. */
  typeOf(lo: number, level: number): number {
    return (lo & this.presentLo) === 0 ? EMPTY : this.typeLut[level]![(lo >>> this.typeShift) & this.typeMask]!;
  }

  /** Whether a present leaf may span several items (then ask the format for its size). */
  maybeGrouped(lo: number, hi: number): boolean {
    return (lo & this.grpLoMask) === this.grpLoVal && (hi & this.grpHiMask) === this.grpHiVal;
  }

  /** contigLg2 of a present leaf, without a call for single-item leaves. */
  contigOf(lo: number, hi: number, level: number): number {
    return this.maybeGrouped(lo, hi) ? this.fmt.contigLg2(lo, hi, level) : 0;
  }

  /** OA of the start of a present leaf (pt_entry_oa). */
  leafOaOf(lo: number, hi: number, level: number): number {
    if (this.maybeGrouped(lo, hi)) return this.fmt.leafOa(lo, hi, level);
    return (hi & this.oaHiMask) * TWO32 + ((lo & 0xfffff000) >>> 0);
  }

  /** Allocate a table page, counting it as held by this table; -1 on failure. */
  allocTable(site: string): number {
    const p = this.pool.alloc(site);
    if (p >= 0) {
      this.held++;
      this.incoherent?.onAlloc(p);
    }
    return p;
  }

  /**
   * _table_alloc(ALLOC_NORMAL): a table for immediate install; when DMA-incoherent it is
   * written back whole first. Returns the page, -ENOMEM, or the write-back error (table freed).
   */
  allocTableNormal(site: string): number {
    const p = this.allocTable(site);
    if (p < 0) return -ERRNO.ENOMEM;
    if (this.incoherent) {
      const rc = this.incoherent.start(p);
      if (rc !== 0) {
        this.pool.free(p);
        this.held--;
        return rc;
      }
    }
    return p;
  }

  /** flush_writes_range: write back items [start, end) of a table (DMA-incoherent only). */
  flushWrites(start: number, end: number): void {
    this.incoherent?.flushRange(start, end);
  }

  /** Free a table page of this tree (iommu_pages_stop_incoherent + free). */
  freeTable(page: number): void {
    this.incoherent?.stop(page);
    this.pool.free(page);
  }

  /** Account tables leaving (negative) or joining the tree. */
  adjustHeld(delta: number): void {
    this.held += delta;
  }

  /**
   * make_range: 0, -EINVAL (len 0 or non-integer), -EOVERFLOW (wraps), -ERANGE (outside VA).
   */
  checkRange(iova: number, len: number): number {
    if (!Number.isInteger(iova) || !Number.isInteger(len) || len <= 0) return -ERRNO.EINVAL;
    if (iova < 0) return -ERRNO.ERANGE;
    if (iova + len > Number.MAX_SAFE_INTEGER) return -ERRNO.EOVERFLOW;
    if (iova + len > this.vaLimit) return -ERRNO.ERANGE;
    return 0;
  }

  /** pt_compute_best_pgsize(level, va, last_va, oa): lg2 or 0 (drivers/iommu/generic_pt). */
  bestPgsize(level: number, va: number, lastVa: number, oa: number): number {
    if (va > lastVa) return 0;
    let m = floorLg2(lastVa - va + 1);
    const a = alignLg2(va);
    if (a < m) m = a;
    const b = alignLg2(oa);
    if (b < m) m = b;
    return this.best[level]![m]!;
  }

  // ---------------------------------------------------------------- map / unmap (./map.ts, ./unmap.ts)

  mapPages(iova: number, paddr: number, size: number, prot: number, mapped?: { bytes: number }): number {
    return mapPages(this, iova, paddr, size, prot, mapped);
  }

  unmapPages(iova: number, size: number, gather: IotlbGather): number {
    return unmapPages(this, iova, size, gather);
  }

  /** Release table pages an unmap put on gather.freelist (call after the IOTLB flush). */
  releaseFreelist(gather: IotlbGather): number {
    return iotlbGatherReleaseFreelist(gather, this.pool);
  }

  // ---------------------------------------------------------------- lookups

  iovaToPhys(iova: number): number {
    const ref = this.scratchRef;
    if (!this.lookupLeaf(iova, ref)) return 0;
    const size = POW2[ref.sizeLg2]!;
    return ref.oa + (size <= 2147483648 ? (iova >>> 0) & (size - 1) : iova % size);
  }

  /** Reused by iovaToPhys so translation allocates nothing. */
  private readonly scratchRef: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };

  lookupLeaf(iova: number, out: LeafRef): boolean {
    if (!(iova >= 0 && iova < this.vaLimit)) return false;
    const chunks = this.pool.chunks;
    const present = this.presentLo;
    const shift = this.typeShift;
    const mask = this.typeMask;
    const hiMask = this.oaHiMask;
    const basePfn = this.pool.basePfn;
    const inc = this.incoherent;
    let page = this.rootPage;
    for (let level = this.topLevel; level >= 0; level--) {
      const t = chunks[page >>> CH_LG2]!;
      const i = (iova * this.invItem[level]!) & 511;
      const w = ((page & CHUNK_MASK) << 10) + 2 * i;
      const lo = t[w]!;
      if ((lo & present) === 0) return false;
      const hi = t[w + 1]!;
      const type = this.typeLut[level]![(lo >>> shift) & mask]!;
      if (type === TABLE) {
        page = (hi & hiMask) * 1048576 + (lo >>> 12) - basePfn;
        // An incoherent walker would read stale memory behind a table never written back.
        if (inc !== null && !inc.isFlushed(page)) {
          inc.stats.unflushedWalks++;
          return false;
        }
        continue;
      }
      if (type !== OA) return false;
      out.page = page;
      out.index = i;
      out.level = level;
      out.levelsWalked = this.topLevel - level + 1;
      if (this.maybeGrouped(lo, hi)) {
        out.sizeLg2 = itemLg2(level) + this.fmt.contigLg2(lo, hi, level);
        out.oa = this.fmt.leafOa(lo, hi, level);
      } else {
        out.sizeLg2 = itemLg2(level);
        out.oa = (hi & hiMask) * TWO32 + ((lo & 0xfffff000) >>> 0);
      }
      return true;
    }
    return false;
  }

  leafProt(ref: LeafRef): number {
    const t = this.pool.pages[ref.page]!;
    const a = this.fmt.leafAttrs(t[2 * ref.index]!, t[2 * ref.index + 1]!);
    return (a & A_READ ? IOMMU_READ : 0) | (a & A_WRITE ? IOMMU_WRITE : 0);
  }

  leafDirty(ref: LeafRef): boolean {
    const d = this.fmt.dirty;
    if (!d) return false;
    const t = this.pool.pages[ref.page]!;
    const n = 1 << (ref.sizeLg2 - itemLg2(ref.level));
    const g0 = ref.index & ~(n - 1);
    for (let k = g0; k < g0 + n; k++) {
      if ((t[2 * k]! & d.loMask) === d.loVal && (t[2 * k + 1]! & d.hiMask) === d.hiVal) return true;
    }
    return false;
  }

  hwAccess(ref: LeafRef, write: boolean, setA: boolean, setD: boolean): HwAccess {
    return this.fmt.hwAccess(this.pool.pages[ref.page]!, ref.index, write, setA, setD);
  }

  walk(iova: number): PtWalkStep[] {
    const steps: PtWalkStep[] = [];
    if (!(iova >= 0 && iova < this.vaLimit)) return steps;
    let page = this.rootPage;
    for (let level = this.topLevel; level >= 0; level--) {
      const t = this.pool.pages[page]!;
      const i = this.index(iova, level);
      const lo = t[2 * i]!;
      const hi = t[2 * i + 1]!;
      const d = this.fmt.describe(lo, hi, level);
      steps.push({ level, page, tablePhys: this.pool.phys(page), index: i, raw: rawHex(lo, hi), kind: d.kind, fields: d.fields });
      if (d.kind !== 'TABLE') break;
      page = this.childPage(lo, hi);
    }
    return steps;
  }

  /** Every leaf in VA order (tests, inspector); `attrs` ORs DIRTY/ACCESSED over its items. */
  leaves(): PtLeaf[] {
    const out: PtLeaf[] = [];
    const visit = (page: number, level: number, base: number): void => {
      const t = this.pool.pages[page]!;
      const isz = this.itemSize[level]!;
      for (let i = 0; i < 512; i++) {
        const lo = t[2 * i]!;
        if ((lo & this.presentLo) === 0) continue;
        const hi = t[2 * i + 1]!;
        const type = this.typeOf(lo, level);
        if (type === TABLE) {
          visit(this.childPage(lo, hi), level - 1, base + i * isz);
        } else if (type === OA) {
          const n = 1 << this.fmt.contigLg2(lo, hi, level);
          let attrs = 0;
          for (let k = i; k < i + n; k++) attrs |= this.fmt.leafAttrs(t[2 * k]!, t[2 * k + 1]!);
          out.push({ iova: base + i * isz, size: n * isz, oa: this.fmt.leafOa(lo, hi, level), level, attrs });
          i += n - 1;
        }
      }
    };
    visit(this.rootPage, this.topLevel, 0);
    return out;
  }

  // ---------------------------------------------------------------- dirty / cut (other modules)

  readAndClearDirty(iova: number, size: number, flags: number, dirty: IommuDirtyBitmap): number {
    return readAndClearDirty(this, iova, size, flags, dirty);
  }

  setDirtyModifier(iova: number, size: number, on: boolean, gather: IotlbGather): number {
    return setDirtyModifier(this, iova, size, on, gather);
  }

  writeProtectAndClear(iova: number, size: number, dirty: IommuDirtyBitmap): number {
    return writeProtectAndClear(this, iova, size, dirty);
  }

  cutMapping(iova: number): number {
    return cutMapping(this, iova);
  }

  // ---------------------------------------------------------------- accounting

  tablePages(): number {
    return this.held;
  }

  deinit(): void {
    if (this.held === 0) return;
    freeSubtree(this, this.rootPage, this.topLevel);
    this.held = 0;
  }

  /** Shared check used by the dirty/cut modules: item type at (t, i, level). */
  typeAt(t: Uint32Array, i: number, level: number): number {
    return this.typeOf(t[2 * i]!, level);
  }
}

