/**
 * Cluster job files for a sweep, using the schedulers' own indexed jobs (no cluster code of
 * ours): a Slurm job array (one array task per point; the task reads SLURM_ARRAY_TASK_ID) and a
 * Kubernetes Indexed Job (one pod per completion index; the pod reads JOB_COMPLETION_INDEX).
 * Each task runs `iommu-workbench sweep run-point <sweep> --out <dir>`, which is idempotent,
 * so re-submitting the same job only runs the missing points.
 *
 * Sizes (memory, time) come from the estimate of the largest point (core/scenario/estimate.ts)
 * with a margin; both are overridable.
 */
import { stringify } from 'yaml';
import { estimateScenario } from '../scenario/estimate';
import { pointScenario, selfContained, type SweepPlan } from './plan';

/** Slurm's default MaxArraySize is 1001 (indexes 0..1000). */
export const DEFAULT_MAX_ARRAY = 1000;

/** Largest estimate over the points (memory bytes, seconds). Points that do not validate are skipped. */
export function worstPoint(plan: SweepPlan): { memoryBytes: number; seconds: number } {
  let memoryBytes = 0;
  let seconds = 0;
  for (let i = 0; i < plan.grid.count; i++) {
    const p = pointScenario(plan, i);
    if (!p.ok) continue;
    const e = estimateScenario(p.point.scenario);
    memoryBytes = Math.max(memoryBytes, e.memoryBytes);
    seconds = Math.max(seconds, e.seconds);
  }
  return { memoryBytes, seconds };
}

/** Quote for a POSIX shell (single quotes). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const mib = (bytes: number): number => Math.ceil(bytes / 2 ** 20);

function hms(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Options of {@link emitSlurm}. */
export interface SlurmOptions {
  /** Results directory as the compute nodes see it (a shared file system). */
  outDir: string;
  /** The sweep file as the nodes see it (default OUT/sweep.json, written by `sweep emit`). */
  sweepPath?: string;
  /** Container image: the task runs `apptainer exec --bind OUT docker://IMAGE iommu-workbench`. */
  image?: string;
  /** The workbench command instead (default `iommu-workbench`, or the apptainer line with --image). */
  command?: string;
  /** Array tasks running at once (`%P`); default all. */
  parallel?: number;
  maxArraySize?: number;
  partition?: string;
  /** Memory per task, MiB (default: largest point's estimate × 1.5). */
  memMiB?: number;
  /** Time limit per task, s (default: largest point's estimate × 4, at least 10 min). */
  timeSeconds?: number;
}

/** The workbench command a task runs. */
function workbenchCommand(o: { image?: string; command?: string; outDir: string }): string {
  if (o.command) return o.command;
  if (!o.image) return 'iommu-workbench';
  const ref = /:\/\/|\.sif$/.test(o.image) ? o.image : `docker://${o.image}`;
  return `apptainer exec --bind ${shellQuote(o.outDir)} ${shellQuote(ref)} iommu-workbench`;
}

/** An sbatch script running the sweep as a job array (chunks of maxArraySize via IWB_INDEX_OFFSET). */
export function emitSlurm(plan: SweepPlan, o: SlurmOptions): string {
  const worst = worstPoint(plan);
  const max = o.maxArraySize ?? DEFAULT_MAX_ARRAY;
  const n = plan.grid.count;
  const first = Math.min(n, max);
  const par = o.parallel ? `%${o.parallel}` : '';
  const mem = o.memMiB ?? Math.max(512, mib(worst.memoryBytes * 1.5));
  const time = o.timeSeconds ?? Math.max(600, worst.seconds * 4);
  const sweepPath = o.sweepPath ?? `${o.outDir.replace(/\/$/, '')}/sweep.json`;
  const name = `iwb-${plan.sweep.name}`;
  const submits: string[] = [];
  for (let off = 0; off < n; off += max) submits.push(`#   sbatch --array=0-${Math.min(max, n - off) - 1}${par} --export=ALL,IWB_INDEX_OFFSET=${off} THIS_FILE`);
  return [
    '#!/bin/bash',
    `# Sweep ${plan.sweep.name}: ${n} points (hash ${plan.hash}), one array task per point.`,
    `# Each task runs point IWB_INDEX_OFFSET + SLURM_ARRAY_TASK_ID into its own SQLite file in ${o.outDir}/points;`,
    '# a point already complete is skipped, so submitting again runs only the missing points.',
    n > max ? `# ${n} points exceed one array of ${max}: submit each chunk:\n${submits.join('\n')}` : '# Submit: sbatch THIS_FILE',
    `# Then: iommu-workbench sweep merge ${shellQuote(o.outDir)} --out results.duckdb`,
    `#SBATCH --job-name=${name}`,
    `#SBATCH --array=0-${first - 1}${par}`,
    `#SBATCH --cpus-per-task=${plan.sweep.pointThreads}`,
    `#SBATCH --mem=${mem}M`,
    `#SBATCH --time=${hms(time)}`,
    `#SBATCH --output=${o.outDir.replace(/\/$/, '')}/logs/%x-%A_%a.out`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    'set -euo pipefail',
    `exec ${workbenchCommand(o)} sweep run-point ${shellQuote(sweepPath)} --out ${shellQuote(o.outDir)} --index-offset "\${IWB_INDEX_OFFSET:-0}"`,
    '',
  ].join('\n');
}

/** Options of {@link emitK8s}. */
export interface K8sOptions {
  image: string;
  /** Pods running at once (Job parallelism); default min(points, 8). */
  parallel?: number;
  /** PersistentVolumeClaim holding the results (default `<sweep>-results`). */
  claim?: string;
  /** Where the results volume is mounted in the pod (default /results). */
  resultsPath?: string;
  /** Where the sweep ConfigMap is mounted (default /sweep). */
  sweepMount?: string;
  /** The workbench command in the image (default ["iommu-workbench"]). */
  command?: string[];
  namespace?: string;
  memMiB?: number;
  /** Retries per index (backoffLimitPerIndex). */
  retries?: number;
}

/** A ConfigMap holding the self-contained sweep, and an Indexed Job with one pod per point. */
export function emitK8s(plan: SweepPlan, o: K8sOptions): string {
  const worst = worstPoint(plan);
  const name = `iwb-${plan.sweep.name}`;
  const n = plan.grid.count;
  const results = o.resultsPath ?? '/results';
  const sweepMount = o.sweepMount ?? '/sweep';
  const mem = o.memMiB ?? Math.max(512, mib(worst.memoryBytes * 1.5));
  const meta = { name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: { 'app.kubernetes.io/name': 'iommu-workbench', 'iommu-workbench/sweep-hash': plan.hash } };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...meta, name: `${name}-sweep` },
    data: { 'sweep.json': `${JSON.stringify(selfContained(plan), null, 2)}\n` },
  };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta,
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: o.parallel ?? Math.min(n, 8),
      backoffLimitPerIndex: o.retries ?? 2,
      template: {
        metadata: { labels: meta.labels },
        spec: {
          restartPolicy: 'Never',
          // The image runs as uid 1000 (Dockerfile); the results volume is made writable for it.
          securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
          containers: [
            {
              name: 'point',
              image: o.image,
              // JOB_COMPLETION_INDEX is set by Kubernetes in every pod of an Indexed Job.
              command: [...(o.command ?? ['iommu-workbench']), 'sweep', 'run-point', `${sweepMount}/sweep.json`, '--out', results],
              resources: { requests: { cpu: String(plan.sweep.pointThreads), memory: `${mem}Mi` }, limits: { memory: `${mem}Mi` } },
              volumeMounts: [
                { name: 'sweep', mountPath: sweepMount, readOnly: true },
                { name: 'results', mountPath: results },
              ],
            },
          ],
          volumes: [
            { name: 'sweep', configMap: { name: `${name}-sweep` } },
            { name: 'results', persistentVolumeClaim: { claimName: o.claim ?? `${plan.sweep.name}-results` } },
          ],
        },
      },
    },
  };
  const head = `# Sweep ${plan.sweep.name}: ${n} points (hash ${plan.hash}), one pod per completion index.\n# Apply: kubectl apply -f THIS_FILE; then copy ${results} out and run: iommu-workbench sweep merge DIR --out results.duckdb\n`;
  return `${head}${stringify(configMap, { lineWidth: 0 })}---\n${stringify(job, { lineWidth: 0 })}`;
}
