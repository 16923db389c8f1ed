/**
 * `sensitivity <scenario>`: would the vendor ranking flip if a cost estimate were 2× off?
 * Runs the comparison, probes every 'estimate' entry of every vendor at first order, re-runs
 * the entries closest to flipping a ranking, and prints which decide it
 * (core/scenario/sensitivity-run.ts, shared with the UI's Sensitivity view).
 */
import type { Command } from 'commander';
import { parallelExecutor } from '../run/parallel';
import { MAX_SENSITIVITY_RERUNS, runSensitivity, SENSITIVITY_DEFAULTS } from '../scenario/sensitivity-run';
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
    .option('--factor <k>', 'scale each estimate by k and 1/k', String(SENSITIVITY_DEFAULTS.factor))
    .option('--rerun <n>', `re-run the n probes closest to flipping a ranking (at most ${MAX_SENSITIVITY_RERUNS})`, String(SENSITIVITY_DEFAULTS.rerun))
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
  if (!(factor > 1) || !Number.isInteger(rerun) || rerun < 0 || rerun > MAX_SENSITIVITY_RERUNS) {
    console.error(`error: --factor must be > 1 and --rerun an integer in 0..${MAX_SENSITIVITY_RERUNS}`);
    return 2;
  }
  const scenario = r.scenario;
  const executor = o.threads === '1' ? undefined : parallelExecutor(null, o.threads ? Number(o.threads) : undefined);
  const out = await runSensitivity(scenario, { factor, rerun, executor });
  if (!out.ok) {
    for (const f of out.failed) console.error(`error: ${f.vendor}: ${f.message}`);
    return 1;
  }
  if (o.json) console.log(JSON.stringify(out.report, null, 2));
  else {
    console.log(`scenario ${scenario.name}: each cost estimate × ${factor} and × 1/${factor}, one vendor at a time`);
    for (const l of out.lines) console.log(l);
  }
  return 0;
}
