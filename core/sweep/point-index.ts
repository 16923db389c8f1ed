/**
 * Which point a `sweep run-point` process runs: `--index N` when given, else the scheduler's
 * index variable — Slurm job arrays set SLURM_ARRAY_TASK_ID (sbatch --array=0-K), Kubernetes
 * Indexed Jobs set JOB_COMPLETION_INDEX (completionMode: Indexed) — plus an optional offset,
 * for sweeps larger than one array (Slurm's MaxArraySize) split into several.
 */

/** Index variables read, in order. */
export const INDEX_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX'] as const;

const DECIMAL = /^(0|[1-9]\d{0,8})$/;

/**
 * Resolve the point index.
 * @returns the index and where it came from, or a message (no index anywhere, not a decimal
 * integer, or two variables that disagree).
 */
export function resolvePointIndex(flag: string | undefined, env: Record<string, string | undefined>, offset = '0'): { ok: true; index: number; source: string } | { ok: false; message: string } {
  if (!DECIMAL.test(offset)) return { ok: false, message: `--index-offset ${JSON.stringify(offset)}: not a non-negative integer` };
  const off = Number(offset);
  if (flag !== undefined) {
    if (!DECIMAL.test(flag)) return { ok: false, message: `--index ${JSON.stringify(flag)}: not a non-negative integer` };
    return { ok: true, index: Number(flag) + off, source: off ? `--index ${flag} + offset ${off}` : `--index ${flag}` };
  }
  const found = INDEX_VARIABLES.filter((v) => env[v] !== undefined && env[v] !== '');
  if (found.length === 0) return { ok: false, message: `no point index: give --index N, or run as a Slurm array task (${INDEX_VARIABLES[0]}) or a Kubernetes Indexed Job pod (${INDEX_VARIABLES[1]})` };
  for (const v of found) if (!DECIMAL.test(env[v]!)) return { ok: false, message: `${v}=${JSON.stringify(env[v])}: not a non-negative integer` };
  const values = new Set(found.map((v) => env[v]));
  if (values.size > 1) return { ok: false, message: `${found.map((v) => `${v}=${env[v]}`).join(' and ')} disagree; give --index` };
  const v = found[0];
  return { ok: true, index: Number(env[v]) + off, source: off ? `${v}=${env[v]} + offset ${off}` : `${v}=${env[v]}` };
}
