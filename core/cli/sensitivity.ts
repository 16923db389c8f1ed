/**
 * `sensitivity <scenario>`: would the vendor ranking flip if a cost estimate were 2× off?
 * Runs the comparison, probes every 'estimate' entry of every vendor at first order, re-runs
 * the entries closest to flipping a ranking, and prints which decide it
 * (core/scenario/sensitivity.ts).
 */
import type { Command } from 'commander';
import { parallelExecutor } from '../run/parallel';
import { runComparison } from '../scenario/runner';
import { firstOrderSensitivity, rerunDeciding, sensitivityLines } from '../scenario/sensitivity';
import { resolveScenario } from './scenario-arg';

interface Flags {
  factor: string;
  rerun: string;
  json?: boolean;
  threads?: string;
}

export function registerSensitivity(program: Command): void {
  program
    .command('sensitivity')
    .description("would the vendor ranking flip if a cost estimate were off by --factor? (first order for every estimate, re-runs for the deciding ones)")
    .argument('<scenario>', 'preset name or scenario file')
    .option('--factor <k>', 'scale each estimate by k and 1/k', '2')
    .option('--rerun <n>', 're-run the n probes closest to flipping a ranking', '3')
    .option('--threads <n>', 'worker threads for the baseline comparison')
    .option('--json', 'machine-readable output')
    .action(async (arg: string, o: Flags) => {
      process.exitCode = await sensitivityCommand(arg, o);
    });
}

async function sensitivityCommand(arg: string, o: Flags): Promise<number> {
  const r = resolveScenario(arg);
  if (!r.ok) {
    console.error(r.message);
    return 2;
  }
  const factor = Number(o.factor);
  const rerun = Number(o.rerun);
  if (!(factor > 1) || !Number.isInteger(rerun) || rerun < 0) {
    console.error(`error: --factor must be > 1 and --rerun an integer ≥ 0`);
    return 2;
  }
  const scenario = r.scenario;
  const executor = o.threads === '1' ? undefined : parallelExecutor(null, o.threads ? Number(o.threads) : undefined);
  const base = await runComparison(scenario, { sink: null, executor });
  if (base.failed.length) {
    for (const f of base.failed) console.error(`error: ${f.vendor}: ${f.message}`);
    return 1;
  }
  const report = firstOrderSensitivity(base.summary, factor);
  await rerunDeciding(report, base.summary, rerun, async (vendor, action, ns) => {
    const s = { ...scenario, vendors: [vendor], costOverrides: { ...scenario.costOverrides, [action]: ns } };
    const one = await runComparison(s, { sink: null });
    if (one.failed.length) throw new Error(`${vendor}: ${one.failed[0]!.message}`);
    return one.summary.vendors[0]!.totals;
  });
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`scenario ${scenario.name}: each cost estimate × ${factor} and × 1/${factor}, one vendor at a time`);
    for (const l of sensitivityLines(report, base.summary)) console.log(l);
  }
  return 0;
}
