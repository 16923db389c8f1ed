/**
 * `replay <trace>`: import a kernel ftrace of iommu:* events and replay its map/unmap
 * sequence (and DMA) through each vendor model, recording one run per vendor.
 */
import type { Command } from 'commander';
import type { VendorName } from '../iommu/registry';
import { VENDORS } from '../scenario/schema';
import { parseFtrace } from '../trace/ftrace';
import { parseQemuXlate } from '../trace/qemu';
import { NULL_RECORDER } from '../trace/types';
import { HZ_VALUES, type FlushPolicy, type Hz, type ReplayDma } from '../workload/replay';
import { replayInputProblem, replayOnVendor, type ReplayResult } from '../scenario/replay';
import { readInputFile } from './input-file';
import { checkReplayLimits } from '../scenario/limits';
import { machineLimits } from '../run/machine-limits';
import { openWriter, type TraceWriter } from '../store/writer';
import { ENGINE_VERSION } from '../base/version';

interface ReplayFlags {
  vendors: string;
  db?: string;
  flush: string;
  dma: string;
  xlate?: string;
  nonCoherent?: boolean;
  hz?: string;
  json?: boolean;
  ignoreLimits?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay a kernel ftrace (iommu:map/unmap) through vendor models')
    .argument('<trace>', 'ftrace text as printed by /sys/kernel/tracing/trace or trace-cmd report')
    .option('--vendors <list>', 'vendors to replay on', VENDORS.join(','))
    .option('--db <file>', 'record one run per vendor into this SQLite trace database')
    .option('--flush <policy>', 'DMA-layer flush policy: strict | lazy | caching', 'strict')
    .option('--dma <mode>', "device DMA: none | mapped | xlate (needs --xlate)", 'mapped')
    .option('--xlate <file>', 'QEMU *.qemu-xlate.txt: IOVAs the device touched, in order')
    .option('--non-coherent', 'table walks do not snoop CPU caches (VT-d ECAP.SMPWC=0, SMMUv3 COHACC=0): IOPTE writes are written back')
    .option('--hz <hz>', 'CONFIG_HZ of the traced kernel: the lazy flush queue\'s 10 ms timer fires on its jiffies (100 | 250 | 1000)', '250')
    .option('--json', 'machine-readable output')
    .option('--ignore-limits', "replay even when the estimate exceeds 80 % of this machine's memory or 30 minutes")
    .action(async (trace: string, o: ReplayFlags) => {
      process.exitCode = await replayCommand(trace, o);
    });
}

async function replayCommand(trace: string, o: ReplayFlags): Promise<number> {
  const vendors = o.vendors.split(',').map((v) => v.trim());
  const bad = vendors.filter((v) => !(VENDORS as readonly string[]).includes(v));
  if (bad.length) return fail(`unknown vendor(s) ${bad.join(', ')}`);
  if (!['strict', 'lazy', 'caching'].includes(o.flush)) return fail(`bad --flush ${o.flush} (strict | lazy | caching)`);
  if (!['none', 'mapped', 'xlate'].includes(o.dma)) return fail(`bad --dma ${o.dma} (none | mapped | xlate)`);
  if (o.dma === 'xlate' && !o.xlate) return fail('--dma xlate needs --xlate <file>');
  const hz = Number(o.hz ?? 250);
  if (!(HZ_VALUES as readonly number[]).includes(hz)) return fail(`bad --hz ${o.hz} (${HZ_VALUES.join(' | ')})`);
  const text = readInputFile(trace, 'trace', MAX_TRACE_FILE_BYTES);
  if (!text.ok) return fail(text.message);
  let xlateText: string | undefined;
  if (o.xlate) {
    const x = readInputFile(o.xlate, '--xlate', MAX_TRACE_FILE_BYTES);
    if (!x.ok) return fail(x.message);
    xlateText = x.text;
  }
  const imp = parseFtrace(text.text);
  for (const e of imp.errors.slice(0, 20)) console.error(`${trace}:${e.line}: ${e.message.slice(0, 200)}`);
  if (imp.errors.length > 20) console.error(`... ${imp.errors.length - 20} more malformed lines`);
  let xlate: ReturnType<typeof parseQemuXlate>['translations'] | undefined;
  let xlateErrors: ReturnType<typeof parseQemuXlate>['errors'] | undefined;
  if (o.xlate && xlateText !== undefined) {
    const x = parseQemuXlate(xlateText);
    for (const e of x.errors.slice(0, 20)) console.error(`${o.xlate}:${e.line}: ${e.message.slice(0, 200)}`);
    xlate = x.translations;
    xlateErrors = x.errors;
  }
  // The same ENODATA as the UI's replay: nothing to replay is bad input, not a success.
  const problem = replayInputProblem(trace, imp, o.dma as ReplayDma, o.xlate ? { name: o.xlate, translations: xlate?.length ?? 0, errors: xlateErrors ?? [] } : undefined);
  if (problem) return fail(`${problem.code}: ${problem.message}`);
  // Before the database is touched: a replay this machine cannot finish (e.g. one 16 TiB map with --dma mapped).
  if (!o.ignoreLimits) {
    const over = checkReplayLimits(trace, imp.events, o.dma as ReplayDma, xlate?.length ?? 0, vendors.length, machineLimits(1));
    if (over) return fail(over.message);
  }
  let writer: TraceWriter | null = null;
  if (o.db) {
    const w = await openWriter(o.db);
    if (!w.ok) return fail(`${w.error.code}: ${w.error.message}`);
    writer = w.writer;
  }
  const results: ReplayResult[] = [];
  const failed: string[] = [];
  try {
    for (const v of vendors as VendorName[]) {
      const nonCoherent = o.nonCoherent === true;
      const run = writer ? await writer.startRun({ scenario: { kind: 'replay', trace, flush: o.flush, dma: o.dma, xlate: o.xlate ?? null, nonCoherent }, vendor: v, seed: 0, versions: { engine: ENGINE_VERSION } }) : null;
      let r: Omit<ReplayResult, 'runId'>;
      try {
        r = replayOnVendor(v, imp.events, { flush: o.flush as FlushPolicy, dma: o.dma as ReplayDma, xlate, recorder: run?.recorder ?? NULL_RECORDER, nonCoherent, hz: hz as Hz });
      } catch (e) {
        // The model could not set up the domain: that vendor's run is failed, not left 'running'.
        await run?.finish(null, 'failed');
        failed.push(`${v}: ${(e as Error).message}`);
        continue;
      }
      await run?.finish(r.stats.endNs, 'complete');
      results.push({ ...r, runId: run?.runId ?? null });
    }
  } finally {
    await writer?.close();
  }
  if (o.json) console.log(JSON.stringify({ trace, events: imp.events.length, malformedLines: imp.errors.length, results }, null, 2));
  else {
    console.log(`${trace}: ${imp.events.length} events, ${imp.errors.length} malformed lines; flush policy ${o.flush}, DMA ${o.dma}${o.nonCoherent ? ', non-coherent walks' : ''}`);
    for (const r of results) {
      const cmds = Object.entries(r.counters).filter(([k]) => k.startsWith('cmd:')).map(([k, n]) => `${k.slice(4)}=${n}`);
      const errs = Object.values(r.stats.errors).reduce((a, b) => a + b, 0);
      const wbNs = (r.costNs.cache_flush_call ?? 0) + (r.costNs.cache_flush_line ?? 0);
      const wb = r.counters.pt_cache_flush ? ` | write-backs ${r.counters.pt_cache_flush} (${r.counters.pt_cache_flush_lines} lines, ${(wbNs / 1e6).toFixed(2)} ms CPU)` : '';
      const setupCmds = cmds.length ? Object.entries(r.counters).filter(([k]) => k.startsWith('cmd:')).reduce((a, [k, n]) => a + n - (r.windowCounters[k] ?? 0), 0) : 0;
      const fq = o.flush === 'lazy' ? ` | flush queue: ${r.stats.fqTimerFlushes} timer (HZ ${hz}), ${r.stats.fqFullFlushes} full-ring flushes` : '';
      console.log(`${r.vendor.padEnd(7)} maps ${r.stats.maps} unmaps ${r.stats.unmaps} errors ${errs} DMA ${r.stats.dmaAccesses} (faults ${r.stats.dmaFaults}) | ${cmds.join(' ')} (${setupCmds} at set-up)${fq}${wb}`);
    }
  }
  for (const f of failed) console.error(`error: ${f}`);
  return failed.length > 0 || results.some((r) => Object.keys(r.stats.errors).length > 0) ? 1 : 0;
}

/** Largest trace or xlate file `replay` reads (bytes): about the longest string Node holds (2^29 characters). */
export const MAX_TRACE_FILE_BYTES = 512 * 1024 * 1024;

function fail(message: string): number {
  console.error(`error: ${message}`);
  return 2;
}
