/**
 * Databases and generated files of the hostile-input corpus (test/hostile/cases.json): each
 * recipe puts one kind of file where a case's `{db}` points, as a user's disk might hold it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, linkSync, mkdirSync, openSync, symlinkSync, truncateSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A prepared database; `release` undoes locks, children and attributes. */
export interface Prepared {
  release(): Promise<void>;
  /** False when this machine cannot make the file (e.g. no chattr): the case is skipped. */
  available: boolean;
  /** The file may change during the case (a live writer records into it). */
  live?: boolean;
}

function sql(path: string, q: string): void {
  const d = new Database(path);
  d.exec(q);
  d.close();
}

/** Make `path` per `recipe`; `template` is a recorded workbench database to copy. `release` may be called more than once. */
export async function prepareDb(recipe: string, path: string, template: string): Promise<Prepared> {
  const p = await prepare(recipe, path, template);
  let released = false;
  return {
    ...p,
    release: async () => {
      if (released) return;
      released = true;
      await p.release();
    },
  };
}

async function prepare(recipe: string, path: string, template: string): Promise<Prepared> {
  const none: Prepared = { available: true, release: async () => {} };
  const dir = dirname(path);
  switch (recipe) {
    case 'recorded':
      copyFileSync(template, path);
      return none;
    case 'recorded+links':
      copyFileSync(template, path);
      copyFileSync(template, join(dir, 'other.sqlite'));
      symlinkSync(path, join(dir, 'link.sqlite'));
      linkSync(path, join(dir, 'hard.sqlite'));
      mkdirSync(join(dir, 'subdir'));
      return none;
    case 'text':
      writeFileSync(path, 'These are my notes, not a database.\n'.repeat(20));
      return none;
    case 'empty':
      writeFileSync(path, '');
      return none;
    case 'symlink-to-text':
      writeFileSync(join(dir, 'notes.txt'), 'These are my notes, not a database.\n'.repeat(20));
      symlinkSync(join(dir, 'notes.txt'), path);
      return none;
    case 'directory':
      mkdirSync(path);
      return none;
    case 'foreign-wal': {
      const d = new Database(path);
      d.pragma('journal_mode = WAL');
      d.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('app', 'someone-else'); CREATE TABLE t(x); INSERT INTO t VALUES (1)");
      d.close();
      return none;
    }
    case 'future-schema':
      copyFileSync(template, path);
      sql(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
      return none;
    case 'old-schema':
      copyFileSync(template, path);
      sql(path, "UPDATE meta SET value = '1' WHERE key = 'schema_version'");
      return none;
    case 'truncated':
      copyFileSync(template, path);
      truncateSync(path, 40_000);
      return none;
    case 'corrupt-page': {
      // Garbage over the middle of the file, header intact: the integrity check finds it.
      copyFileSync(template, path);
      const fd = openSync(path, 'r+');
      const junk = Buffer.alloc(16384, 0xa5);
      writeSync(fd, junk, 0, junk.length, 3 * 16384);
      closeSync(fd);
      return none;
    }
    case 'locked': {
      copyFileSync(template, path);
      const holder = new Database(path);
      holder.exec('BEGIN EXCLUSIVE');
      return {
        available: true,
        release: async () => {
          holder.exec('ROLLBACK');
          holder.close();
        },
      };
    }
    case 'live-writer': {
      // Another process recording into the file (test/unit/store/crash-child.ts records forever).
      const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/unit/store/crash-child.ts', path, '1000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.on('exit', (code) => reject(new Error(`writer child exited ${code}`)));
      });
      return {
        available: true,
        live: true,
        release: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const gone = new Promise((ok) => child.once('exit', ok));
          child.kill('SIGKILL');
          await gone;
        },
      };
    }
    case 'readonly': {
      copyFileSync(template, path);
      if (spawnSync('chattr', ['+i', path]).status !== 0) return { available: false, release: async () => {} };
      return { available: true, release: async () => void spawnSync('chattr', ['-i', path]) };
    }
    default:
      throw new Error(`unknown database recipe ${recipe}`);
  }
}

/** Make a generated input at `path`: see test/hostile/README.md. */
export function generate(spec: { kind: string; bytes?: number; depth?: number }, path: string): void {
  switch (spec.kind) {
    case 'sparse': {
      // A file of `bytes` bytes without writing them (a hole): size checks must refuse it unread.
      const fd = openSync(path, 'w');
      ftruncateSync(fd, spec.bytes!);
      closeSync(fd);
      return;
    }
    case 'nest':
      writeFileSync(path, `{"name":"deep","devices":${'['.repeat(spec.depth!)}${']'.repeat(spec.depth!)}}`);
      return;
    case 'line':
      writeFileSync(path, `${'x'.repeat(spec.bytes!)}\n`);
      return;
    case 'dir':
      mkdirSync(path);
      return;
    case 'missing':
      return;
    default:
      throw new Error(`unknown generator ${spec.kind}`);
  }
}
