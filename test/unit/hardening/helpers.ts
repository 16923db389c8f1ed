/**
 * Helpers of the hardening tests (issue 13): the CLI in this process with its output
 * captured, a small recorded workbench database, and a snapshot of a directory (names and
 * SHA-256 of every file) to prove a refused input changed nothing.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { vi } from 'vitest';
import { main } from '../../../core/cli/main';
import { openWriter } from '../../../core/store/writer';

/** A fresh temp dir. */
export function tempDir(prefix = 'wb-hard-'): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run the CLI in this process; returns exit code and what it printed. */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const warn = vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    warn.mockRestore();
    process.exitCode = undefined;
  }
}

/** SHA-256 of a file. */
export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file of `dir` (recursively) with its hash: equal snapshots = nothing changed. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, `${rel}${f}/`);
      else out.push(`${rel}${f}:${sha256(p)}`);
    }
  };
  walk(dir, '');
  return out;
}

/**
 * A small workbench database with two complete runs, checkpointed into one file (no -wal),
 * as a user's earlier recording would be.
 */
export async function recordedDb(path: string, slices = 2000): Promise<void> {
  const w = await openWriter(path, { inProcess: true });
  if (!w.ok) throw new Error(w.error.message);
  for (const vendor of ['amd', 'smmuv3']) {
    const run = await w.writer.startRun({ scenario: { name: 'recorded' }, vendor, seed: 1, versions: {} });
    for (let i = 0; i < slices; i++) run.recorder.slice('domain', 'iommu:map', i * 10, 5, { iova: i * 4096, length: 4096, paddr: i * 4096 });
    run.recorder.count('dirty_pages', 0, 1);
    await run.finish(slices * 10);
  }
  await w.writer.close();
  const db = new Database(path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  db.close();
}
