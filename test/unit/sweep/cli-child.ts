import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Repository root (children run with cwd here so `--import tsx` resolves). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI entry as a command prefix: node --import tsx core/cli/main.ts. */
export const CLI = [process.execPath, '--import', 'tsx', fileURLToPath(new URL('../../../core/cli/main.ts', import.meta.url))];

/** Start the CLI with `args` in a child process. */
export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run a command to its end; resolves with its exit code and output. */
export function runToEnd(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** Resolve once `cond()` is true (polled every 50 ms), or reject after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolve when the child has exited. */
export function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}
