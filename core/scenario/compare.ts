/**
 * Vendor comparison summary: per-vendor totals and per-round series from the migration
 * reports, ratios against the cheapest vendor for each metric, and one plain-language line
 * for each big difference with its cause (read off the counter breakdown, never off the
 * vendor's name). Counts are exact; simulated times depend on the cost model.
 */
import { COST_INFO, isCostAction } from '../iommu/costs';
import { vendorEntry, vendorTitle } from '../iommu/registry';
import type { VendorName } from '../iommu/registry';
import type { RoundReport } from '../workload/migration';
import type { VendorRunReport } from './simulate';

/** Totals of one vendor run. Times in simulated ns, sizes in bytes. */
export interface VendorTotals {
  rounds: number;
  converged: boolean;
  dirtyPages: number;
  /** Pages written but never reported (lost dirtying). */
  missedPages: number;
  bitmapReadNs: number;
  pteReads: number;
  pteWritesAtomic: number;
  invalidations: number;
  /** Invalidation commands by type (inv_iotlb, inv_context, inv_pasid, inv_devtlb, inv_wait). */
  invalidationsByType: Record<string, number>;
  iotlbMissRate: number;
  faults: number;
  /** Page requests (PRI) the hardware queued and the responses it consumed; absent in older databases. */
  pageRequests?: number;
  pageResponses?: number;
  dmaAccesses: number;
  /** DMA accesses the workloads asked for; dmaAccesses / dmaDemanded < 1 = the device was translation-bound. */
  dmaDemanded: number;
  /** Average DMA latency (round trip + translation), ns. */
  avgDmaLatencyNs: number;
  bytesSent: number;
  downtimeNs: number;
  /** Downtime parts (add up to downtimeNs): final collection without its flushes, its flushes, sending the rest. */
  downtimeFinalReadNs: number;
  downtimeFlushNs: number;
  downtimeTransferNs: number;
  switchoverNs: number;
  /** Before pre-copy: mapping guest RAM and attaching devices, then IOMMU_HWPT_SET_DIRTY_TRACKING. */
  setupNs: number;
  enableNs: number;
  /** The headline: from the start of pre-copy (tracking enabled) to switch-over, ns. */
  migrationNs: number;
  /** Clock at the end of the stop-and-copy (set-up, enable, pre-copy and downtime), ns. */
  totalNs: number;
}

export interface VendorResult {
  vendor: VendorName;
  /** `run.id` in the database, when recorded. */
  runId: number | null;
  totals: VendorTotals;
  rounds: RoundReport[];
  /** Architected command counts over the whole run ('cmd:<NAME>' counters). */
  commands: Record<string, number>;
  /**
   * IOMMU_HWPT_SET_DIRTY_TRACKING (enable, before round 0; not in `totals`): simulated ns,
   * invalidation commands (the INV_TYPES counters) and architected commands by name.
   */
  enable?: { ns: number; invalidations: number; commands: Record<string, number> };
  /** Counter deltas of the final collection at switch-over (not in `totals`). */
  switchoverCounters?: Record<string, number>;
  /** Simulated ns per cost action during pre-copy (the headline's breakdown; absent in old summaries). */
  costNs?: Record<string, number>;
  /** Simulated ns per cost action of the final collection at switch-over. */
  switchoverCostNs?: Record<string, number>;
}

export interface ComparisonSummary {
  scenario: string;
  seed: number;
  vendors: VendorResult[];
  /** Per metric: the cheapest vendor and every vendor's ratio to it (1 = cheapest). */
  ratios: Record<string, { cheapest: VendorName; byVendor: Partial<Record<VendorName, number>> }>;
  explanations: string[];
}

const INV_TYPES = ['inv_iotlb', 'inv_context', 'inv_pasid', 'inv_devtlb', 'inv_wait'] as const;

/** Sum counters over rounds. */
function sumCounters(rounds: RoundReport[]): Record<string, number> {
  const s: Record<string, number> = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.counters)) s[k] = (s[k] ?? 0) + v;
  return s;
}

/** Totals for one vendor's migration report. */
export function vendorResult(vendor: VendorName, runId: number | null, m: VendorRunReport): VendorResult {
  const c = sumCounters(m.rounds);
  let enable: VendorResult['enable'];
  if (m.enable) {
    const ec = m.enable.counters;
    const cmds: Record<string, number> = {};
    for (const [k, v] of Object.entries(ec)) if (k.startsWith('cmd:')) cmds[k.slice(4)] = v;
    enable = { ns: m.enable.ns, invalidations: INV_TYPES.reduce((s, t) => s + (ec[t] ?? 0), 0), commands: cmds };
  }
  const byType: Record<string, number> = {};
  for (const t of INV_TYPES) byType[t] = c[t] ?? 0;
  const hits = c.iotlb_hit ?? 0;
  const misses = c.iotlb_miss ?? 0;
  const commands: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) if (k.startsWith('cmd:')) commands[k.slice(4)] = v;
  return {
    vendor,
    runId,
    rounds: m.rounds,
    commands,
    ...(enable ? { enable } : {}),
    ...(m.switchoverCounters ? { switchoverCounters: m.switchoverCounters } : {}),
    costNs: m.precopyCostNs,
    switchoverCostNs: m.switchoverCostNs,
    totals: {
      rounds: m.rounds.length,
      converged: m.converged,
      dirtyPages: m.rounds.reduce((s, r) => s + r.dirtyPages, 0),
      missedPages: m.missedPages,
      bitmapReadNs: m.rounds.reduce((s, r) => s + r.bitmapReadNs, 0),
      pteReads: c.pte_read ?? 0,
      pteWritesAtomic: c.pte_write_atomic ?? 0,
      invalidations: INV_TYPES.reduce((s, t) => s + byType[t], 0),
      invalidationsByType: byType,
      iotlbMissRate: hits + misses ? misses / (hits + misses) : 0,
      faults: c.faults ?? 0,
      pageRequests: c.page_requests ?? 0,
      pageResponses: c.page_responses ?? 0,
      dmaAccesses: m.rounds.reduce((s, r) => s + r.dmaAccesses, 0),
      dmaDemanded: m.rounds.reduce((s, r) => s + (r.dmaDemanded ?? r.dmaAccesses), 0),
      avgDmaLatencyNs: (c.dma_latency_ns ?? 0) / Math.max(1, m.rounds.reduce((s, r) => s + r.dmaAccesses, 0)),
      bytesSent: m.totalBytesSent,
      downtimeNs: m.downtimeNs,
      downtimeFinalReadNs: m.downtimeParts.finalReadNs,
      downtimeFlushNs: m.downtimeParts.flushNs,
      downtimeTransferNs: m.downtimeParts.transferNs,
      switchoverNs: m.switchoverNs,
      setupNs: m.setupNs ?? 0,
      enableNs: m.enable?.ns ?? 0,
      migrationNs: m.precopyNs,
      totalNs: m.totalNs,
    },
  };
}

/**
 * Metrics compared, with how a difference reads in a sentence. Lower is cheaper for all.
 * `zeroPhrase` is used when the other vendor's value is 0 (a ratio would be infinite).
 * Lost dirty pages come first: a vendor that lost pages has a wrong migration, whatever it costs.
 */
const METRICS: { key: keyof VendorTotals; phrase: string; zeroPhrase?: string; unit: 'ns' | 'count' | 'bytes' | 'rate' }[] = [
  { key: 'missedPages', phrase: 'loses {r}× as many dirty pages as {o}', zeroPhrase: 'loses dirty pages where {o} loses none', unit: 'count' },
  { key: 'bitmapReadNs', phrase: 'spends {r}× as long reading dirty bitmaps as {o}', unit: 'ns' },
  { key: 'pteReads', phrase: 'reads {r}× as many PTEs from memory in hardware walks as {o}', unit: 'count' },
  { key: 'pteWritesAtomic', phrase: 'makes {r}× as many hardware A/D updates as {o}', unit: 'count' },
  { key: 'invalidations', phrase: 'issues {r}× as many invalidation commands as {o}', unit: 'count' },
  { key: 'iotlbMissRate', phrase: 'has {r}× the IOTLB miss rate of {o}', unit: 'rate' },
  { key: 'faults', phrase: 'takes {r}× as many faults as {o}', zeroPhrase: 'takes faults where {o} takes none', unit: 'count' },
  { key: 'dirtyPages', phrase: 'reports {r}× as many dirty pages as {o}', unit: 'count' },
  { key: 'downtimeNs', phrase: 'has {r}× the downtime of {o}', unit: 'ns' },
  { key: 'migrationNs', phrase: 'takes {r}× as long from enabling dirty tracking to switch-over as {o}', unit: 'ns' },
];

function fmt(v: number, unit: string): string {
  if (unit === 'ns') return v >= 1e6 ? `${(v / 1e6).toFixed(2)} ms` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} µs` : `${v} ns`;
  if (unit === 'rate') return `${(v * 100).toFixed(1)}%`;
  if (unit === 'bytes') return v >= 2 ** 30 ? `${(v / 2 ** 30).toFixed(1)} GiB` : `${(v / 2 ** 20).toFixed(1)} MiB`;
  return v.toLocaleString('en-US');
}

/** Cost actions of the DMA path (device side), not of the CPU's dirty reads. */
const DMA_PATH_ACTIONS = new Set(['dma_rtt', 'iotlb_hit', 'iotlb_miss', 'hw_ad_update', 'table_read', 'fault_record', 'prq_handle']);

/**
 * The cost actions whose pre-copy simulated time differs most between two runs, largest
 * difference first (only actions `keep` accepts, and only where `hi` spent more).
 */
function costDiffs(hi: VendorResult, lo: VendorResult, keep: (a: string) => boolean): { action: string; hi: number; lo: number }[] {
  const a = hi.costNs ?? {};
  const b = lo.costNs ?? {};
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names]
    .filter(keep)
    .map((action) => ({ action, hi: a[action] ?? 0, lo: b[action] ?? 0 }))
    .filter((d) => d.hi - d.lo > 0)
    .sort((x, y) => y.hi - y.lo - (x.hi - x.lo));
}

/** "mostly <what> (A vs B)[ and <what> (C vs D)]" for the top one or two cost differences. */
function describeCostDiffs(diffs: { action: string; hi: number; lo: number }[], total: number): string | null {
  const top = diffs.filter((d, i) => i === 0 || d.hi - d.lo >= 0.2 * total).slice(0, 2);
  if (top.length === 0) return null;
  const part = (d: (typeof top)[number]): string => `${isCostAction(d.action) ? COST_INFO[d.action].doc : d.action} (${fmt(d.hi, 'ns')} vs ${fmt(d.lo, 'ns')})`;
  return `mostly ${top.map(part).join(' and ')}`;
}

function sum(rounds: RoundReport[], key: string): number {
  return rounds.reduce((s, r) => s + (r.counters[key] ?? 0), 0);
}

/** The cause behind a difference, from the larger vendor's own counter and cost breakdown. */
function cause(key: keyof VendorTotals, hi: VendorResult, lo: VendorResult): string {
  const t = hi.totals;
  switch (key) {
    case 'invalidations': {
      const top = Object.entries(hi.commands).sort((a, b) => b[1] - a[1])[0];
      const loCount = top ? (lo.commands[top[0]] ?? 0) : 0;
      const perRead = t.rounds ? Math.round(t.invalidations / t.rounds) : 0;
      if (top) return `mostly ${top[0]} (${top[1].toLocaleString('en-US')} vs ${loCount.toLocaleString('en-US')}), ${perRead} per round`;
      return `${perRead} per round`;
    }
    case 'bitmapReadNs': {
      const why = describeCostDiffs(costDiffs(hi, lo, (a) => !DMA_PATH_ACTIONS.has(a)), t.bitmapReadNs - lo.totals.bitmapReadNs);
      if (why) return why;
      return `${fmt(t.pteReads, 'count')} PTE reads and ${fmt(t.invalidations, 'count')} invalidations vs ${fmt(lo.totals.pteReads, 'count')} and ${fmt(lo.totals.invalidations, 'count')}`;
    }
    case 'pteReads': {
      const perDirty = t.dirtyPages ? t.pteReads / t.dirtyPages : 0;
      const loPer = lo.totals.dirtyPages ? lo.totals.pteReads / lo.totals.dirtyPages : 0;
      // Hardware walks follow IOTLB misses. When the entries were mostly evicted to make room
      // (not dropped by the flushes after each clear), the cause is IOTLB capacity: the working
      // set does not fit, whatever the dirty pages (a per-dirty-page ratio would blame the clears).
      const ev = sum(hi.rounds, 'iotlb_evictions');
      const loEv = sum(lo.rounds, 'iotlb_evictions');
      if (ev > sum(hi.rounds, 'iotlb_invalidated') && ev > loEv) {
        return `hardware walks on IOTLB misses (miss rate ${fmt(t.iotlbMissRate, 'rate')} vs ${fmt(lo.totals.iotlbMissRate, 'rate')}) from IOTLB capacity: ${fmt(ev, 'count')} entries evicted to make room (vs ${fmt(loEv, 'count')})`;
      }
      if (perDirty < 0.1) {
        // Walks read from memory only the levels the walk caches miss: say when flushes emptied them.
        const wi = sum(hi.rounds, 'walk_cache_invalidated');
        const wlo = sum(lo.rounds, 'walk_cache_invalidated');
        const walkNote = wi > wlo ? `; its flushes dropped ${fmt(wi, 'count')} walk-cache entries (vs ${fmt(wlo, 'count')}), so walks after them read more levels` : '';
        return `hardware walks over ${fmt(t.dmaAccesses, 'count')} DMA accesses (IOTLB miss rate ${fmt(t.iotlbMissRate, 'rate')} vs ${fmt(lo.totals.iotlbMissRate, 'rate')})${walkNote}`;
      }
      return `${perDirty.toFixed(1)} PTE reads per dirty page vs ${loPer.toFixed(1)}`;
    }
    case 'pteWritesAtomic':
      return `${fmt(t.pteWritesAtomic, 'count')} atomic A/D updates for ${fmt(t.dmaAccesses, 'count')} DMA accesses`;
    case 'iotlbMissRate': {
      // Entries leave the IOTLB by eviction (capacity) or by invalidation commands: say which.
      const ev = sum(hi.rounds, 'iotlb_evictions');
      const inv = sum(hi.rounds, 'iotlb_invalidated');
      const loEv = sum(lo.rounds, 'iotlb_evictions');
      const loInv = sum(lo.rounds, 'iotlb_invalidated');
      if (ev >= inv) return `IOTLB capacity: ${fmt(ev, 'count')} entries evicted to make room (vs ${fmt(loEv, 'count')}), ${fmt(inv, 'count')} dropped by invalidations (vs ${fmt(loInv, 'count')})`;
      return `invalidations dropped ${fmt(inv, 'count')} cached translations (vs ${fmt(loInv, 'count')}); ${fmt(ev, 'count')} evictions (vs ${fmt(loEv, 'count')})`;
    }
    case 'faults':
      return `${fmt(t.faults, 'count')} fault records`;
    case 'missedPages': {
      const nested = counterSum(hi, 'missed_nested');
      if (nested > 0) return `${fmt(nested, 'count')} of them were written by devices on nested (vIOMMU) domains: ${nestingNote(hi.vendor)}`;
      // vmm.ts counts lost pages whose leaf is writable without its dirty modifier (Arm DBM).
      const untracked = hi.rounds.reduce((s, r) => s + (r.counters.missed_untracked_leaf ?? 0), 0) + (hi.switchoverCounters?.missed_untracked_leaf ?? 0);
      if (untracked > 0) {
        const stale = t.missedPages - untracked;
        return `${fmt(untracked, 'count')} of them were written through writable leaves that never got DBM (mapped after dirty tracking was enabled: a per-mapping enable, as in the SMMUv3 RFC v1 range op, errata E20, does not cover later maps)` +
          (stale > 0 ? `; the other ${fmt(stale, 'count')} hit an IOTLB entry caching "already dirty" after an unflushed clear` : '');
      }
      return `writes that hit an IOTLB entry caching "already dirty" after an unflushed clear never set D again`;
    }
    case 'dirtyPages':
      if (counterSum(hi, 'dirty_untracked_reads') > 0) return `it has no IOMMU dirty tracking under nesting, so every read reports all guest RAM dirty (QEMU's fallback for devices without dirty tracking): ${nestingNote(hi.vendor)}`;
      // Fewer reported pages because they were lost is not a leaf-size effect.
      if (lo.totals.missedPages > 0) return `${vendorTitle(lo.vendor)} missed ${fmt(lo.totals.missedPages, 'count')} written pages, so it reports fewer`;
      return 'dirty state is recorded per leaf, so larger or replicated leaves report more 4 KiB pages';
    case 'downtimeNs': {
      const d = hi.totals;
      const l = lo.totals;
      const parts: [string, number, number][] = [
        ['sending the remaining pages', d.downtimeTransferNs, l.downtimeTransferNs],
        ['the final bitmap read', d.downtimeFinalReadNs, l.downtimeFinalReadNs],
        ['the final flushes', d.downtimeFlushNs, l.downtimeFlushNs],
      ];
      parts.sort((a, b) => b[1] - b[2] - (a[1] - a[2]));
      const [what, a, b] = parts[0]!;
      const more = t.bytesSent - lo.totals.bytesSent;
      return `mostly ${what} (${fmt(a, 'ns')} vs ${fmt(b, 'ns')})` + (what === 'sending the remaining pages' && more > 0 ? `; ${fmt(more, 'bytes')} more sent in all (${t.rounds} vs ${lo.totals.rounds} rounds)` : '');
    }
    default: {
      if (counterSum(hi, 'dirty_untracked_reads') > 0) return `without IOMMU dirty tracking under nesting every round resends all guest RAM (${t.rounds} vs ${lo.totals.rounds} rounds, ${fmt(t.bytesSent, 'bytes')} sent)`;
      // Pre-copy time follows from what is sent and how long the reads take.
      const more = t.bytesSent - lo.totals.bytesSent;
      const sent = more > 0 ? `it sends ${fmt(more, 'bytes')} more (${t.rounds} vs ${lo.totals.rounds} rounds)` : `${t.rounds} vs ${lo.totals.rounds} rounds`;
      const why = describeCostDiffs(costDiffs(hi, lo, () => true), t.migrationNs - lo.totals.migrationNs);
      return `${sent}; dirty reads ${fmt(t.bitmapReadNs, 'ns')} vs ${fmt(lo.totals.bitmapReadNs, 'ns')}` + (why ? `, ${why}` : '');
    }
  }
}

/** A counter summed over a vendor's rounds and switch-over. */
function counterSum(r: VendorResult, name: string): number {
  return r.rounds.reduce((s, x) => s + (x.counters[name] ?? 0), 0) + (r.switchoverCounters?.[name] ?? 0);
}

/** The vendor's own statement of what it can dirty-track under nesting (VendorEntry.nesting). */
function nestingNote(vendor: VendorName): string {
  return (vendorEntry(vendor).nesting?.dirtyNote ?? 'the model has no nesting').replace(/\.$/, '');
}

/**
 * Lines for runs with a vIOMMU (nested translation): the 2-D walk cost per vendor and what
 * each vendor can dirty-track under nesting.
 */
function nestingLines(results: VendorResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const walks = counterSum(r, 'nested_walks');
    if (walks === 0) continue;
    const refs = counterSum(r, 'nested_walk_refs');
    out.push(`${vendorTitle(r.vendor)}: ${fmt(walks, 'count')} nested (2-D) walks, ${(refs / walks).toFixed(1)} IOPTE reads each (every guest stage-1 table pointer and the final guest-physical address go through the host's stage 2), ${fmt(refs, 'count')} of its ${fmt(r.totals.pteReads, 'count')} PTE reads.`);
    const lost = r.totals.missedPages;
    const untracked = counterSum(r, 'dirty_untracked_reads');
    const outcome = untracked > 0 ? `no IOMMU dirty tracking (${untracked} reads reported all guest RAM)` : lost > 0 ? `${fmt(lost, 'count')} written pages lost` : 'every written page reported';
    out.push(`${vendorTitle(r.vendor)} under nesting: ${outcome}. ${nestingNote(r.vendor)}.`);
  }
  return out;
}

/**
 * Lines for runs whose devices fault on memory the VMM maps on demand (guest.mappedOnFault):
 * page requests answered through the fault queue, or faults where the vendor's driver did not
 * enable PRI (core/iommu/<vendor>/driver.ts enableIopf cites why).
 */
function iopfLines(results: VendorResult[]): string[] {
  const out: string[] = [];
  if (!results.some((r) => (r.totals.pageRequests ?? 0) > 0)) return out;
  for (const r of results) {
    const pr = r.totals.pageRequests ?? 0;
    if (pr > 0) out.push(`${vendorTitle(r.vendor)} delivered ${fmt(pr, 'count')} page requests to the VMM's fault queue and consumed ${fmt(r.totals.pageResponses ?? 0, 'count')} page responses: the memory mapped on fault was mapped on demand.`);
    else if (r.totals.faults > 0) out.push(`${vendorTitle(r.vendor)} delivered no page requests (its driver does not enable PRI for a paging domain with dirty tracking): ${fmt(r.totals.faults, 'count')} DMA writes to memory mapped on fault were unrecoverable faults and were lost.`);
  }
  return out;
}

/**
 * Build the comparison summary. A difference is "big" when the ratio is ≥ 1.25 and the
 * absolute values are not trivially small.
 */
export function compareVendors(scenario: string, seed: number, results: VendorResult[]): ComparisonSummary {
  const ratios: ComparisonSummary['ratios'] = {};
  const explanations: string[] = [];
  // Every vendor's run may have failed (e.g. a what-if whose enable fails): nothing to compare.
  if (results.length === 0) return { scenario, seed, vendors: results, ratios, explanations };
  for (const m of METRICS) {
    const vals = results.map((r) => ({ r, v: Number(r.totals[m.key]) }));
    // A vendor that lost dirty pages is never the cheapest (unless every vendor lost some):
    // its lower costs come from reading less. Dirty pages reported is not a cost.
    const honest = vals.filter((x) => x.r.totals.missedPages === 0);
    const pool = m.key === 'missedPages' || m.key === 'dirtyPages' || honest.length === 0 ? vals : honest;
    const min = pool.reduce((a, b) => (b.v < a.v ? b : a));
    const byVendor: Partial<Record<VendorName, number>> = {};
    for (const { r, v } of vals) byVendor[r.vendor] = min.v > 0 ? v / min.v : v === 0 ? 1 : Infinity;
    ratios[m.key] = { cheapest: min.r.vendor, byVendor };
    const max = vals.reduce((a, b) => (b.v > a.v ? b : a));
    const ratio = min.v > 0 ? max.v / min.v : Infinity;
    const trivial = m.unit === 'rate' ? max.v < 0.01 : m.unit === 'ns' ? max.v < 1000 : max.v < 10;
    if (results.length > 1 && ratio >= 1.25 && !trivial && max.r !== min.r) {
      const r = Number.isFinite(ratio) ? ratio.toFixed(ratio >= 10 ? 0 : 1) : '∞';
      const phrase = !Number.isFinite(ratio) && m.zeroPhrase ? m.zeroPhrase : m.phrase;
      // A vendor that lost dirty pages is "cheaper" on every cost only because it read less.
      const lost = min.r.totals.missedPages;
      const blind = counterSum(min.r, 'dirty_untracked_reads') > 0;
      const caveat =
        m.key !== 'missedPages' && m.key !== 'dirtyPages' && lost > 0
          ? ` (${vendorTitle(min.r.vendor)} missed ${fmt(lost, 'count')} written pages, so its lower figure is not a saving)`
          : m.key === 'bitmapReadNs' && blind
            ? ` (${vendorTitle(min.r.vendor)} reads no bitmap at all: it cannot dirty-track under nesting)`
            : '';
      explanations.push(
        `${vendorTitle(max.r.vendor)} ${phrase.replace('{r}', r).replace('{o}', vendorTitle(min.r.vendor))} (${fmt(max.v, m.unit)} vs ${fmt(min.v, m.unit)}): ${cause(m.key, max.r, min.r)}${caveat}.`,
      );
    }
  }
  explanations.push(...nestingLines(results));
  explanations.push(...iopfLines(results));
  // A translation-bound device: say so with the mechanism (latency per access and its parts).
  for (const r of results) {
    const t = r.totals;
    if (t.dmaDemanded > 0 && t.dmaAccesses < 0.98 * t.dmaDemanded) {
      const c = sumCounters(r.rounds);
      const perAccess = (k: string): string => ((c[k] ?? 0) / Math.max(1, t.dmaAccesses)).toFixed(2);
      explanations.push(
        `${vendorTitle(r.vendor)}'s devices issued ${(100 * t.dmaAccesses / t.dmaDemanded).toFixed(1)}% of the DMA their workloads asked for: each access took ${fmt(Math.round(t.avgDmaLatencyNs), 'ns')} on average (round trip plus translation: ${perAccess('iotlb_miss')} IOTLB misses, ${perAccess('pte_read')} table reads, ${perAccess('pte_write_atomic')} A/D updates per access), which bounds a device with a fixed number of requests in flight (and the IOMMU's concurrent walks bound its misses), so it dirtied memory more slowly.`,
      );
    }
  }
  return { scenario, seed, vendors: results, ratios, explanations };
}
