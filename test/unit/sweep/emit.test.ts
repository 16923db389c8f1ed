import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { completePoints } from '../../../core/sweep/point-files';
import { readPointMeta } from '../../../core/sweep/run-point';
import { CLI, runToEnd } from './cli-child';
import { SMALL_BASE, tempDir, writeSweep } from './helpers';

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

const COMMAND = CLI.join(' ');
const SWEEP = { name: 'emit', base: SMALL_BASE, axes: [{ path: 'seed', values: [1, 2, 3] }] };

/** Run `n` indexed tasks, two at a time, each with its index in `variable`. */
async function runTasks(n: number, task: (i: number) => Promise<{ code: number | null; err: string }>): Promise<void> {
  for (let i = 0; i < n; i += 2) {
    const rs = await Promise.all([i, i + 1].filter((j) => j < n).map(task));
    for (const r of rs) expect(r.err).toBe('');
    for (const r of rs) expect(r.code).toBe(0);
  }
}

describe('sweep emit: the emitted jobs, run locally with the scheduler index variables', () => {
  it('slurm: the sbatch script run as array tasks 0..K-1 (SLURM_ARRAY_TASK_ID) completes every point', async () => {
    tmp = tempDir();
    const { file, plan } = writeSweep(tmp.dir, SWEEP);
    const out = tmp.path('results');
    const script = tmp.path('sweep.sbatch');
    const e = await runToEnd(CLI[0], [...CLI.slice(1), 'sweep', 'emit', 'slurm', file, '--out', out, '--parallel', '2', '--command', COMMAND, '--file', script]);
    expect(e.code).toBe(0);
    const text = readFileSync(script, 'utf8');
    expect(text).toMatch(/^#!\/bin\/bash\n/);
    expect(text).toContain('#SBATCH --array=0-2%2\n');
    expect(text).toContain(`#SBATCH --output=${out}/logs/%x-%A_%a.out\n`);
    expect(text).toMatch(/#SBATCH --mem=\d+M\n/);
    expect(text).toMatch(/#SBATCH --time=\d\d:\d\d:\d\d\n/);
    await runTasks(plan.grid.count, (i) => runToEnd('bash', [script], { env: { SLURM_ARRAY_TASK_ID: String(i) } }));
    expect(completePoints(out)).toEqual([0, 1, 2]);
    for (const i of [0, 1, 2]) expect(readPointMeta(join(out, 'points', `p-00000${i}.sqlite`))).toMatchObject({ index: i, hash: plan.hash, params: { seed: i + 1 } });
    // Submitting again (a requeue) skips every complete point.
    const again = await runToEnd('bash', [script], { env: { SLURM_ARRAY_TASK_ID: '1' } });
    expect(again.out).toMatch(/^point 1 \(SLURM_ARRAY_TASK_ID=1\) already complete/);
  }, 240_000);

  it('slurm: a sweep larger than one array is submitted in chunks offset by IWB_INDEX_OFFSET', async () => {
    tmp = tempDir();
    const { file } = writeSweep(tmp.dir, SWEEP);
    const out = tmp.path('results');
    const e = await runToEnd(CLI[0], [...CLI.slice(1), 'sweep', 'emit', 'slurm', file, '--out', out, '--max-array', '2', '--command', COMMAND]);
    expect(e.out).toContain('#   sbatch --array=0-1 --export=ALL,IWB_INDEX_OFFSET=0 THIS_FILE\n#   sbatch --array=0-0 --export=ALL,IWB_INDEX_OFFSET=2 THIS_FILE\n');
    expect(e.out).toContain('#SBATCH --array=0-1\n');
    const script = tmp.path('s.sbatch');
    writeFileSync(script, e.out);
    const r = await runToEnd('bash', [script], { env: { SLURM_ARRAY_TASK_ID: '0', IWB_INDEX_OFFSET: '2' } });
    expect(r.code).toBe(0);
    expect(completePoints(out)).toEqual([2]);
  }, 120_000);

  it('k8s: the Indexed Job pod command run for each completion index (JOB_COMPLETION_INDEX) completes every point', async () => {
    tmp = tempDir();
    const { file, plan } = writeSweep(tmp.dir, SWEEP);
    const results = tmp.path('results');
    const mount = tmp.path('sweep-mount');
    const e = await runToEnd(CLI[0], [...CLI.slice(1), 'sweep', 'emit', 'k8s', file, '--image', 'registry.example/iommu-workbench:1', '--out', results, '--sweep-mount', mount, '--parallel', '2', '--command', COMMAND]);
    expect(e.code).toBe(0);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a manifest is free-form YAML
    const docs = parseAllDocuments(e.out).map((d) => d.toJS() as Record<string, any>);
    expect(docs.map((d) => d.kind)).toEqual(['ConfigMap', 'Job']);
    const [cm, job] = docs;
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 2 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const c = pod.containers[0];
    expect(c.image).toBe('registry.example/iommu-workbench:1');
    expect(c.command.slice(-5)).toEqual(['sweep', 'run-point', `${mount}/sweep.json`, '--out', results]);
    expect(pod.volumes[0].configMap.name).toBe(cm.metadata.name);
    // "Mount" the ConfigMap, then run each pod's command as Kubernetes would.
    mkdirSync(mount);
    writeFileSync(join(mount, 'sweep.json'), cm.data['sweep.json']);
    await runTasks(job.spec.completions, (i) => runToEnd(c.command[0], c.command.slice(1), { env: { JOB_COMPLETION_INDEX: String(i) } }));
    expect(completePoints(results)).toEqual([0, 1, 2]);
    // The ConfigMap's sweep is the same sweep: same hash, same points.
    for (const i of [0, 1, 2]) expect(readPointMeta(join(results, 'points', `p-00000${i}.sqlite`))).toMatchObject({ index: i, hash: plan.hash });
  }, 240_000);
});
