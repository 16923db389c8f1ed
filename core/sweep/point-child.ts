/**
 * Child process of `sweep run` (core/sweep/local-run.ts): runs one point with runPoint and
 * reports on stdout as JSON lines ({@link PointChildMessage}). It watches its parent: if the
 * parent is killed, the point stops at the next round boundary and leaves nothing behind.
 *
 *   node --import tsx core/sweep/point-child.ts <sweep file> <index> <out dir> [<parent pid>]
 *
 * The parent passes its pid: a child that read process.ppid itself could start after its
 * parent was killed, take the reaper for its parent and run the whole point orphaned.
 *
 * Exit codes: 0 point done or already complete, 1 failed, 2 bad input.
 */
import type { CompareProgress } from '../scenario/runner';
import { runPoint, type PointError, type PointOutcome } from './run-point';
import { resolveSweep } from './sweep-file';

/** One line on the child's stdout. */
export type PointChildMessage = { type: 'progress'; p: CompareProgress } | { type: 'outcome'; outcome: PointOutcome } | { type: 'error'; error: PointError };

const send = (m: PointChildMessage): void => void process.stdout.write(`${JSON.stringify(m)}\n`);

async function main(argv: string[]): Promise<number> {
  const [file, indexText, dir, parentText] = argv;
  const parent = parentText ? Number(parentText) : process.ppid;
  const r = resolveSweep(file ?? '');
  if (!r.ok) {
    send({ type: 'error', error: { code: 'EINVAL', message: r.message } });
    return 2;
  }
  const out = await runPoint(r.plan, Number(indexText), dir ?? '', { watchParent: parent, onProgress: (p) => send({ type: 'progress', p }) });
  if (!out.ok) {
    send({ type: 'error', error: out.error });
    return out.error.code === 'EINVAL' ? 2 : 1;
  }
  send({ type: 'outcome', outcome: out.outcome });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (e: unknown) => {
    send({ type: 'error', error: { code: 'EIO', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } });
    process.stdout.write('', () => process.exit(1));
  },
);
