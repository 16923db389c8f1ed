/** `compare` and `run`: run a scenario on its vendors (or one) and print the comparison. */
import type { Command } from 'commander';
import { VENDORS, type Scenario } from '../scenario/schema';
import { runComparison } from '../scenario/runner';
import type { ComparisonSummary } from '../scenario/compare';
import { openRunSink } from '../store/run-sink';
import { resolveScenario } from './scenario-arg';
import { compareProgress } from './progress';
import { formatSummary } from './format';
import { parallelExecutor } from '../run/parallel';
import { machineLimits } from '../run/machine-limits';
import { checkScenarioLimits } from '../scenario/limits';
import { availableParallelism } from 'node:os';

interface CompareFlags {
  db?: string;
  json?: boolean;
  vendors?: string;
  seed?: string;
  threads?: string;
  ignoreLimits?: boolean;
}

async function runAndPrint(scenario: Scenario, o: CompareFlags): Promise<number> {
  const sinkR = o.db ? await openRunSink(o.db) : null;
  if (sinkR && !sinkR.ok) {
    // The message names the file ("x.sqlite: ...").
    console.error(`error: ${sinkR.error.code}: ${sinkR.error.message}`);
    return 2;
  }
  const sink = sinkR?.ok ? sinkR.sink : null;
  const bar = compareProgress(!o.json);
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  let result: { summary: ComparisonSummary; failed: { vendor: string; message: string }[] };
  try {
    const executor = o.threads === '1' ? undefined : parallelExecutor(sink, o.threads ? Number(o.threads) : undefined);
    result = await runComparison(scenario, { sink, onProgress: (p) => bar.update(p), signal: abort.signal, executor });
    sink?.saveComparison(result.summary);
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
    await sink?.close();
  }
  if (o.json) console.log(JSON.stringify({ ...result.summary, failed: result.failed, db: o.db ?? null }, null, 2));
  else console.log(formatSummary(result.summary, o.db ?? null));
  for (const f of result.failed) console.error(`error: ${f.vendor}: ${f.message}`);
  return result.failed.length > 0 || abort.signal.aborted ? 1 : 0;
}

function applyFlags(scenario: Scenario, o: CompareFlags): Scenario | string {
  const s = { ...scenario };
  if (o.vendors) {
    const list = o.vendors.split(',').map((v) => v.trim());
    const bad = list.filter((v) => !(VENDORS as readonly string[]).includes(v));
    if (bad.length) return `unknown vendor(s) ${bad.join(', ')} (known: ${VENDORS.join(', ')})`;
    s.vendors = list as Scenario['vendors'];
  }
  if (o.threads !== undefined && !(Number.isInteger(Number(o.threads)) && Number(o.threads) >= 1)) return `bad --threads ${o.threads}`;
  if (o.seed !== undefined) {
    const seed = Number(o.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) return `bad --seed ${o.seed}`;
    s.seed = seed;
  }
  return s;
}

export function registerCompare(program: Command): void {
  const action = (fixedVendor: boolean) => async (arg: string, o: CompareFlags & { vendor?: string }) => {
    const r = resolveScenario(arg);
    if (!r.ok) {
      console.error(`error: ${r.message}`);
      process.exitCode = 2;
      return;
    }
    const s = applyFlags(r.scenario, fixedVendor ? { ...o, vendors: o.vendor } : o);
    if (typeof s === 'string') {
      console.error(`error: ${s}`);
      process.exitCode = 2;
      return;
    }
    // Before any file is touched: refuse what this machine cannot finish (estimate).
    if (!o.ignoreLimits) {
      const threads = o.threads ? Number(o.threads) : availableParallelism();
      const over = checkScenarioLimits(s, machineLimits(threads));
      if (over) {
        console.error(`error: ${r.source}: ${over.message}`);
        process.exitCode = 2;
        return;
      }
    }
    process.exitCode = await runAndPrint(s, o);
  };
  program
    .command('compare')
    .description('run a scenario (preset name or JSON file) on every vendor it lists and compare')
    .argument('<scenario>', 'preset name (see `scenarios`) or path to a scenario JSON file')
    .option('--db <file>', 'record every run into this SQLite trace database')
    .option('--json', 'print a machine-readable summary')
    .option('--vendors <list>', 'override the vendors, e.g. amd,smmuv3')
    .option('--seed <n>', 'override the seed')
    .option('--threads <n>', 'vendors run in parallel worker threads (default: cores; 1 = in this thread)')
    .option('--ignore-limits', "run even when the estimate exceeds 80 % of this machine's memory or 30 minutes")
    .action(action(false));
  program
    .command('run')
    .description('run a scenario on one vendor')
    .argument('<scenario>', 'preset name or path to a scenario JSON file')
    .requiredOption('--vendor <v>', `one of ${VENDORS.join(', ')}`)
    .option('--db <file>', 'record the run into this SQLite trace database')
    .option('--json', 'print a machine-readable summary')
    .option('--seed <n>', 'override the seed')
    .option('--ignore-limits', "run even when the estimate exceeds 80 % of this machine's memory or 30 minutes")
    .action(action(true));
}
