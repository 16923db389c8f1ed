/**
 * cut_mapping ("[PATCH 07/16] iommupt: Add cut_mapping op", 2024;
 * docs/threads.md): make `cut` a leaf boundary without changing any
 * translation, so that [a, c-1] and [c, b] of an earlier map [a, b] can be unmapped
 * separately. The result equals mapping the two halves with two map calls (optimal sizes on
 * both sides); every intermediate state translates exactly as before (hitless), including on
 * failure.
 *
 * Implemented as posted with the intended forms of its defects (docs/threads.md): D1 slices
 * [start, cut) (set literalSeedBugD1 to reproduce the off-by-one) and D2 copies the split
 * leaf's own attributes into the new leaves. D3 (a contiguous block demoted before a later
 * failure) is kept: it is still hitless.
 *
 * Dirty bits (the posted patch's FIXME): with cutDirtyPolicy 'carry' (default) every leaf
 * created from a split leaf inherits its D (and A) state: if any item of the old leaf was dirty, all new
 * leaves are dirty, because hardware may have recorded a write anywhere in the old leaf in
 * whichever item it fetched. The next read-and-clear thus reports the whole old leaf, exactly
 * what it would have reported without the cut — no dirty page is lost. 'drop' reproduces the
 * posted patch (new leaves clean: writes before the cut are lost).
 */
import { ERRNO } from '../base/errno';
import { ENTRY_EMPTY, ENTRY_OA, ENTRY_TABLE, PT_ATTR, itemLg2 } from './format';
import type { GenericPt } from './walker';
import { groupAttrs } from './dirty';

/** Running state of one cut (OA cursor and private tables). */
interface CutState {
  oa: number;
  attrs: number;
  privateTables: number[];
}

function leafAttrsForCut(pt: GenericPt, t: Uint32Array, g0: number, n: number): number {
  const a = groupAttrs(pt, t, g0, n);
  return pt.cutDirtyPolicy === 'carry' ? a : a & ~PT_ATTR.DIRTY;
}

/** __replace_cut_entry: rewrite live items [i, j) of a contiguous block with best sizes. */
function rewriteSlice(pt: GenericPt, t: Uint32Array, level: number, base: number, i: number, j: number, st: CutState): void {
  if (i >= j) return;
  const isz = pt.itemSize[level]!;
  const sliceLast = base + j * isz - 1;
  let k = i;
  while (k < j) {
    const va = base + k * isz;
    const s = pt.bestPgsize(level, va, sliceLast, st.oa);
    if (pt.typeAt(t, k, level) !== ENTRY_OA || s === 0) {
      pt.warnings.push(`replace_cut_entry: unexpected item ${k} at level ${level}`);
      k++;
      continue;
    }
    pt.fmt.writeLeaf(t, k, level, st.oa, s, st.attrs);
    pt.onCutStep?.();
    st.oa += 2 ** s;
    k += 1 << (s - itemLg2(level));
  }
  pt.flushWrites(i, Math.min(k, 512)); // the level's write log
}

/** replace_cut_entry: split the contiguous block holding item idx so the cut can proceed. */
function replaceCutEntry(pt: GenericPt, t: Uint32Array, level: number, idx: number, cut: number, n: number): void {
  const isz = pt.itemSize[level]!;
  const start = idx & ~((1 << n) - 1);
  const last = start + (1 << n) - 1;
  const base = cut - idx * isz - (cut % isz);
  const st: CutState = {
    oa: pt.fmt.leafOa(t[2 * idx]!, t[2 * idx + 1]!, level),
    attrs: leafAttrsForCut(pt, t, start, n),
    privateTables: [],
  };
  if (cut % isz === 0) {
    rewriteSlice(pt, t, level, base, start, idx, st);
    rewriteSlice(pt, t, level, base, idx, last + 1, st);
  } else {
    if (start !== idx) rewriteSlice(pt, t, level, base, start, pt.literalSeedBugD1 ? idx - 1 : idx, st);
    rewriteSlice(pt, t, level, base, idx, idx + 1, st);
    if (idx !== last) rewriteSlice(pt, t, level, base, idx + 1, last + 1, st);
  }
}

/** __build_tree: populate a private (unreachable) table over [va, lastVa]. */
function buildTree(pt: GenericPt, level: number, page: number, va: number, lastVa: number, st: CutState): number {
  const t = pt.pool.pages[page]!;
  const isz = pt.itemSize[level]!;
  let i = pt.index(va, level);
  const base = va - i * isz - (va % isz);
  let cur = va;
  while (i < 512 && cur <= lastVa) {
    const s = pt.bestPgsize(level, cur, lastVa, st.oa);
    const type = pt.typeAt(t, i, level);
    if (s !== 0) {
      if (type !== ENTRY_EMPTY) {
        pt.warnings.push('__build_tree: private item not empty');
        return -ERRNO.EADDRINUSE;
      }
      pt.fmt.writeLeaf(t, i, level, st.oa, s, st.attrs);
      const sz = 2 ** s;
      st.oa += sz;
      cur += sz;
      i += 1 << (s - itemLg2(level));
      continue;
    }
    let child: number;
    if (type === ENTRY_EMPTY) {
      if (level === 0) return -ERRNO.ENXIO; // cut finer than the smallest granule
      child = pt.pool.alloc('pt_cut_table');
      if (child < 0) return -ERRNO.ENOMEM;
      // ALLOC_DEFER_COHERENT_FLUSH: written back with the whole private tree before install.
      pt.incoherent?.onAlloc(child);
      st.privateTables.push(child);
      pt.fmt.writeTable(t, i, level, pt.pool.phys(child));
    } else if (type === ENTRY_TABLE) {
      child = pt.childPage(t[2 * i]!, t[2 * i + 1]!);
    } else {
      pt.warnings.push('__build_tree: unexpected private item');
      return -ERRNO.EINVAL;
    }
    const rc = buildTree(pt, level - 1, child, cur, lastVa, st);
    if (rc) return rc;
    cur = base + (i + 1) * isz;
    i++;
  }
  return 0;
}

/** replace_cut_table: swap the single-item leaf at idx for an equivalent table. */
function replaceCutTable(pt: GenericPt, t: Uint32Array, level: number, idx: number, cut: number): number {
  const isz = pt.itemSize[level]!;
  if (level === 0) return -ERRNO.ENXIO; // !pt_can_have_table
  const e0 = cut - (cut % isz);
  const e1 = e0 + isz - 1;
  if (e0 === cut) {
    pt.warnings.push('replace_cut_table: cut already on an item boundary');
    return -ERRNO.ENXIO;
  }
  if (!pt.features.oaTableXchg) return -ERRNO.EOPNOTSUPP;
  const lo = t[2 * idx]!;
  const hi = t[2 * idx + 1]!;
  const table = pt.pool.alloc('pt_cut_table');
  if (table < 0) return -ERRNO.ENOMEM;
  pt.incoherent?.onAlloc(table);
  const st: CutState = { oa: pt.fmt.leafOa(lo, hi, level), attrs: leafAttrsForCut(pt, t, idx, 0), privateTables: [table] };
  let rc = buildTree(pt, level - 1, table, e0, cut - 1, st);
  if (rc === 0) rc = buildTree(pt, level - 1, table, cut, e1, st);
  const inc = pt.incoherent;
  if (rc === 0 && inc) {
    // Step 6: write the whole private tree back once ("start incoherent" on the list).
    for (const p of st.privateTables) {
      rc = inc.start(p);
      if (rc !== 0) break;
    }
  }
  if (rc === 0) {
    pt.onCutBeforeInstall?.();
    if (t[2 * idx] !== lo || t[2 * idx + 1] !== hi) {
      pt.warnings.push('Locking violating during cut');
      rc = -ERRNO.EINVAL;
    }
  }
  if (rc !== 0) {
    // Step 8: stop the incoherent mapping, free every private table; the parent is untouched.
    for (const p of st.privateTables) pt.freeTable(p);
    return rc;
  }
  pt.fmt.writeTable(t, idx, level, pt.pool.phys(table));
  pt.flushWrites(idx, idx + 1);
  pt.adjustHeld(st.privateTables.length);
  pt.onCutStep?.();
  return 0;
}

/**
 * cut_mapping(cut): 0 (split done or already a boundary), -ERANGE/-EOVERFLOW (make_range),
 * -ENOENT (nothing mapped at cut), -EOPNOTSUPP (missing OA_SIZE_CHANGE / OA_TABLE_XCHG),
 * -ENXIO (cut finer than the smallest leaf), -ENOMEM, -EINVAL (lost race, WARN).
 */
export function cutMapping(pt: GenericPt, cut: number): number {
  const rc = pt.checkRange(cut, 1);
  if (rc) return rc;
  let page = pt.rootPage;
  let level = pt.topLevel;
  for (;;) {
    const t = pt.pool.pages[page]!;
    const idx = pt.index(cut, level);
    const type = pt.typeAt(t, idx, level);
    if (type === ENTRY_EMPTY) return -ERRNO.ENOENT;
    const lo = t[2 * idx]!;
    const hi = t[2 * idx + 1]!;
    if (type === ENTRY_TABLE) {
      page = pt.childPage(lo, hi);
      level--;
      continue;
    }
    const n = pt.fmt.contigLg2(lo, hi, level);
    if (cut % (pt.itemSize[level]! * (1 << n)) === 0) return 0;
    if (n !== 0) {
      if (!pt.features.oaSizeChange) return -ERRNO.EOPNOTSUPP;
      replaceCutEntry(pt, t, level, idx, cut, n);
      continue; // re-examine the now smaller entry at cut
    }
    return replaceCutTable(pt, t, level, idx, cut);
  }
}
