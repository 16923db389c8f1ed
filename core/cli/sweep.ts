/**
 * `sweep …`: parameter sweeps (core/sweep). `plan` lists the numbered points with an estimate,
 * `run-point` runs one (a Slurm array task or Kubernetes Indexed Job pod), `run` runs them all
 * here with a worker pool, `emit` writes the cluster job files, `merge` combines the point files
 * into DuckDB, `query` runs SQL on the merge. Exit codes: 0 ok, 1 a point failed, 2 bad input.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { estimateScenario } from '../scenario/estimate';
import { emitK8s, emitSlurm } from '../sweep/emit';
import { runSweepLocal, type SweepEvent } from '../sweep/local-run';
import { mergeSweep } from '../sweep/merge';
import { checkPoints, pointScenario, type SweepPlan } from '../sweep/plan';
import { prepareOutDir, sweepFilePath } from '../sweep/point-files';
import { resolvePointIndex } from '../sweep/point-index';
import { sweepPresetNames, sweepPresetText } from '../sweep/presets';
import { queryResults } from '../sweep/results-db';
import { runPoint } from '../sweep/run-point';
import { sweepJsonSchema } from '../sweep/schema';
import { resolveSweep } from '../sweep/sweep-file';
import { formatBytes, formatSeconds, formatTable } from './table';
import { sweepProgress } from './sweep-progress';

function fail(message: string, code = 2): void {
  console.error(`error: ${message}`);
  process.exitCode = code;
}

function loadPlan(arg: string): SweepPlan | null {
  const r = resolveSweep(arg);
  if (!r.ok) {
    fail(r.message);
    return null;
  }
  const bad = checkPoints(r.plan);
  if (bad.length) {
    fail(bad.join('\n'));
    return null;
  }
  return r.plan;
}

function intOption(v: string | undefined, name: string, min: number, max: number): number | null | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    fail(`bad ${name} ${v} (an integer ${min}..${max})`);
    return null;
  }
  return n;
}

function showValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function planCommand(sweep: Command): void {
  sweep
    .command('plan')
    .description('print the numbered points of a sweep with an estimate of time and memory per point')
    .argument('<sweep>', 'preset sweep name or sweep file (JSON/JSONC)')
    .option('--jobs <n>', 'points at once, for the total wall-time estimate', '1')
    .option('--json', 'machine-readable output')
    .action((arg: string, o: { jobs: string; json?: boolean }) => {
      const plan = loadPlan(arg);
      const jobs = intOption(o.jobs, '--jobs', 1, 1024);
      if (!plan || jobs === null || jobs === undefined) return;
      const points = [];
      for (let i = 0; i < plan.grid.count; i++) {
        const p = pointScenario(plan, i);
        if (!p.ok) return fail(p.errors.join('\n'));
        points.push({ index: i, assignments: p.point.assignments, params: p.point.params, vendors: p.point.scenario.vendors, estimate: estimateScenario(p.point.scenario) });
      }
      const totalSeconds = points.reduce((s, p) => s + p.estimate.seconds, 0);
      const peak = Math.max(...points.map((p) => p.estimate.memoryBytes));
      // Longest-first greedy over `jobs` lanes: the wall-time estimate of `sweep run --jobs`.
      const lanes = new Array<number>(jobs).fill(0);
      for (const s of points.map((p) => p.estimate.seconds).sort((a, b) => b - a)) lanes[lanes.indexOf(Math.min(...lanes))] += s;
      const wallSeconds = Math.max(...lanes);
      if (o.json) {
        console.log(JSON.stringify({ sweep: plan.sweep.name, hash: plan.hash, base: plan.baseSource, count: plan.grid.count, axes: plan.grid.dimensions.map((d) => d.axes.map((a) => ({ path: a.path, values: a.values, unit: a.unit }))), points, totalSeconds, wallSeconds, jobs, peakMemoryBytes: peak }, null, 2));
        return;
      }
      const axes = plan.grid.dimensions.flatMap((d) => d.axes);
      const paths = axes.map((a) => a.path);
      const cell = (path: string, v: unknown): string => (axes.find((a) => a.path === path)?.unit === 'bytes' && typeof v === 'number' ? formatBytes(v) : showValue(v));
      console.log(`sweep ${plan.sweep.name} (hash ${plan.hash}): ${plan.grid.count} points, base ${plan.baseSource}`);
      console.log(formatTable(['#', ...paths, 'vendors', 'rounds', 'DMA', 'est. time', 'est. memory'], points.map((p) => [String(p.index), ...p.assignments.map((a) => cell(a.path, a.value)), String(p.vendors.length), String(p.estimate.rounds), p.estimate.dmaAccesses.toLocaleString('en-US'), formatSeconds(p.estimate.seconds), formatBytes(p.estimate.memoryBytes)])));
      console.log(`estimate: ${formatSeconds(totalSeconds)} of work, ${formatSeconds(wallSeconds)} with --jobs ${jobs}, peak ${formatBytes(peak)} per worker (reference machine: README, "Measured")`);
    });
}

function runPointCommand(sweep: Command): void {
  sweep
    .command('run-point')
    .description('run one point into DIR/points/p-NNNNNN.sqlite (skipped when complete); the index comes from --index, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX')
    .argument('<sweep>', 'preset sweep name or sweep file')
    .requiredOption('--out <dir>', 'output directory of the sweep')
    .option('--index <n>', 'point index (default: from the scheduler variables)')
    .option('--index-offset <n>', 'added to the index (sweeps split over several arrays)', '0')
    .option('--json', 'print the outcome as JSON')
    .action(async (arg: string, o: { out: string; index?: string; indexOffset: string; json?: boolean }) => {
      const idx = resolvePointIndex(o.index, process.env, o.indexOffset);
      if (!idx.ok) return fail(idx.message);
      const r = resolveSweep(arg);
      if (!r.ok) return fail(r.message);
      const dir = resolve(o.out);
      const prep = prepareOutDir(r.plan, dir);
      if (!prep.ok) return fail(prep.message);
      const out = await runPoint(r.plan, idx.index, dir);
      if (!out.ok) return fail(out.error.message, out.error.code === 'EINVAL' || out.error.code === 'EEXIST' ? 2 : 1);
      const m = out.outcome.meta;
      if (o.json) console.log(JSON.stringify({ ...out.outcome, source: idx.source }, null, 2));
      else
        console.log(
          `point ${idx.index} (${idx.source}) ${out.outcome.status === 'skipped' ? 'already complete' : 'done'}: ${out.outcome.file}` +
            (out.outcome.status === 'done' ? ` (${formatSeconds(m.wallMs / 1000)}, peak RSS ${formatBytes(m.maxRssBytes)})` : '') +
            (m.failed.length ? `; failed vendors: ${m.failed.map((f) => `${f.vendor} (${f.message})`).join(', ')}` : ''),
        );
    });
}

function runCommand(sweep: Command): void {
  sweep
    .command('run')
    .description('run every point here, --jobs at a time, with a progress bar; resumable (complete points are skipped)')
    .argument('<sweep>', 'preset sweep name or sweep file')
    .requiredOption('--out <dir>', 'output directory (created; DIR/points holds one SQLite file per point)')
    .option('--jobs <n>', 'points at once, each in its own process', '1')
    .option('--json', 'print the result as JSON (no progress bar)')
    .action(async (arg: string, o: { out: string; jobs: string; json?: boolean }) => {
      const jobs = intOption(o.jobs, '--jobs', 1, 256);
      const plan = loadPlan(arg);
      if (!plan || jobs === null || jobs === undefined) return;
      const bar = sweepProgress(!o.json);
      const abort = new AbortController();
      const onSigint = (): void => abort.abort();
      process.once('SIGINT', onSigint);
      process.once('SIGTERM', onSigint);
      const failures: string[] = [];
      let r: Awaited<ReturnType<typeof runSweepLocal>>;
      try {
        r = await runSweepLocal(plan, o.out, {
          jobs,
          signal: abort.signal,
          onEvent: (e: SweepEvent) => {
            bar.update(e);
            if (e.type === 'point-failed' && e.error.code !== 'ECANCELED') failures.push(e.error.message);
          },
        });
      } finally {
        bar.stop();
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigint);
      }
      if (!r.ok) return fail(r.message);
      const s = r.result;
      for (const f of failures) console.error(`error: ${f}`);
      if (o.json) console.log(JSON.stringify({ sweep: plan.sweep.name, out: resolve(o.out), jobs, ...s }, null, 2));
      else
        console.log(
          `sweep ${plan.sweep.name}: ${s.done} points run, ${s.skipped} already complete, ${s.failed.length} failed of ${s.total}` +
            `${s.cancelled ? ' (cancelled)' : ''} in ${formatSeconds(s.wallMs / 1000)} with --jobs ${jobs}; peak RSS per worker ${formatBytes(s.peakWorkerRssBytes)}\n` +
            `next: iommu-workbench sweep merge ${o.out} --out ${join(o.out, 'results.duckdb')}`,
        );
      process.exitCode = s.failed.length || s.cancelled ? 1 : 0;
    });
}

function emitCommand(sweep: Command): void {
  sweep
    .command('emit')
    .description('write the Slurm sbatch script or the Kubernetes Indexed Job manifest of a sweep')
    .argument('<kind>', 'slurm | k8s')
    .argument('<sweep>', 'preset sweep name or sweep file')
    .requiredOption('--out <dir>', 'results directory as the jobs see it (slurm: shared file system path; it is prepared now when reachable)')
    .option('--image <ref>', 'container image with the workbench (docs/sweeps.md builds one from the Dockerfile); required for k8s')
    .option('--command <cmd>', 'workbench command in the job (default iommu-workbench)')
    .option('--parallel <n>', 'tasks/pods at once')
    .option('--file <path>', 'write here instead of stdout')
    .option('--claim <name>', 'k8s: PersistentVolumeClaim for the results (default <sweep>-results)')
    .option('--namespace <ns>', 'k8s namespace')
    .option('--sweep-mount <dir>', 'k8s: where the sweep ConfigMap is mounted in the pod', '/sweep')
    .option('--partition <p>', 'slurm partition')
    .option('--max-array <n>', 'slurm: largest array (MaxArraySize - 1); larger sweeps are submitted in chunks', '1000')
    .action((kind: string, arg: string, o: { out: string; image?: string; command?: string; parallel?: string; file?: string; claim?: string; namespace?: string; sweepMount: string; partition?: string; maxArray: string }) => {
      if (kind !== 'slurm' && kind !== 'k8s') return fail(`unknown kind ${kind} (slurm | k8s)`);
      const plan = loadPlan(arg);
      const parallel = intOption(o.parallel, '--parallel', 1, 100000);
      const maxArray = intOption(o.maxArray, '--max-array', 1, 10_000_000);
      if (!plan || parallel === null || maxArray === null) return;
      let text: string;
      if (kind === 'slurm') {
        const prep = prepareOutDir(plan, resolve(o.out));
        if (!prep.ok) return fail(prep.message);
        mkdirSync(join(resolve(o.out), 'logs'), { recursive: true });
        text = emitSlurm(plan, { outDir: resolve(o.out), sweepPath: sweepFilePath(resolve(o.out)), image: o.image, command: o.command, parallel, maxArraySize: maxArray, partition: o.partition });
      } else {
        if (!o.image) return fail('k8s needs --image (the container image the pods run)');
        text = emitK8s(plan, { image: o.image, parallel, claim: o.claim, namespace: o.namespace, resultsPath: o.out, sweepMount: o.sweepMount, command: o.command ? o.command.split(/\s+/).filter(Boolean) : undefined });
      }
      if (o.file) {
        mkdirSync(dirname(resolve(o.file)), { recursive: true });
        writeFileSync(o.file, text, { mode: kind === 'slurm' ? 0o755 : 0o644 });
        console.error(`wrote ${o.file}`);
      } else process.stdout.write(text);
    });
}

function mergeCommand(sweep: Command): void {
  sweep
    .command('merge')
    .description('combine the per-point SQLite files into one DuckDB file (points × vendor × metrics, per-round series)')
    .argument('<dirs...>', 'sweep output directories (several: results gathered from several places)')
    .requiredOption('--out <file>', 'results database to write, e.g. results.duckdb')
    .option('--force', 'replace --out when it exists')
    .option('--json', 'print the merge report as JSON')
    .action(async (dirs: string[], o: { out: string; force?: boolean; json?: boolean }) => {
      const r = await mergeSweep(dirs, o.out, { force: o.force });
      if (!r.ok) return fail(r.error.message);
      const m = r.report;
      if (o.json) console.log(JSON.stringify(m, null, 2));
      else {
        console.log(`merged ${m.points} of ${m.count} points of ${m.sweep} into ${m.out}: ${m.results} result rows, ${m.rounds} round rows`);
        if (m.duplicates) console.log(`${m.duplicates} duplicate point files ignored`);
        if (m.missing.length) console.log(`missing points: ${m.missing.slice(0, 20).join(', ')}${m.missing.length > 20 ? ', …' : ''} (run them with sweep run or run-point, then merge again)`);
      }
    });
}

function queryCommand(sweep: Command): void {
  sweep
    .command('query')
    .description('run SQL on a merged results database (read-only), e.g. SELECT vendor, avg(bitmap_read_ns) FROM results GROUP BY vendor')
    .argument('<results>', 'results.duckdb written by sweep merge')
    .argument('<sql>', 'SQL; tables sweep, axes, points, results, rounds')
    .option('--json', 'rows as JSON')
    .option('--csv', 'rows as CSV')
    .action(async (file: string, sql: string, o: { json?: boolean; csv?: boolean }) => {
      let r: Awaited<ReturnType<typeof queryResults>>;
      try {
        r = await queryResults(file, sql);
      } catch (e) {
        return fail(`${file}: ${(e as Error).message.split('\n')[0]}`);
      }
      if (o.json) console.log(JSON.stringify(r.rows, null, 2));
      else if (o.csv) {
        const { stringify } = await import('csv-stringify/sync');
        process.stdout.write(stringify(r.rows.map((row) => r.columns.map((c) => showCell(row[c]))), { header: true, columns: r.columns }));
      } else console.log(formatTable(r.columns, r.rows.map((row) => r.columns.map((c) => showCell(row[c])))));
    });
}

function showCell(v: unknown): string {
  return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function registerSweep(program: Command): void {
  const sweep = program.command('sweep').description('parameter sweeps: plan, run here or on Slurm/Kubernetes, merge into DuckDB, query');
  sweep
    .command('presets')
    .description('list the preset sweeps')
    .option('--show <name>', 'print one preset as JSON')
    .action((o: { show?: string }) => {
      if (o.show) {
        const t = sweepPresetText(o.show);
        if (!t) return fail(`no preset sweep named '${o.show}' (presets: ${sweepPresetNames().join(', ')})`);
        console.log(t);
        return;
      }
      for (const name of sweepPresetNames()) {
        const r = resolveSweep(name);
        console.log(`${name.padEnd(28)} ${r.ok ? `${r.plan.grid.count} points: ${r.plan.sweep.description}` : r.message}`);
      }
    });
  planCommand(sweep);
  runPointCommand(sweep);
  runCommand(sweep);
  emitCommand(sweep);
  mergeCommand(sweep);
  queryCommand(sweep);
  sweep
    .command('schema')
    .description('print the JSON Schema of sweep files')
    .action(() => console.log(JSON.stringify(sweepJsonSchema(), null, 2)));
}
