/**
 * The electron-vite bundle (out/main/, built by `npm run test:e2e`) starts its engine workers
 * from bundled JavaScript, never TypeScript: a copy of out/main/ with no TypeScript sources
 * beside it runs a comparison (comparison worker, SQLite writer worker, vendor pool) and a
 * page-table rebuild under plain Node with type stripping off and no tsx loader, as a
 * packaged app must.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { scenarioSchema } from '../../core/scenario/schema';
import { WORKER_NAMES } from '../../core/rpc/worker-entry';
import { ROOT } from './harness';

const OUT = join(ROOT, 'out/main');

describe('bundled engine workers (packaged app)', () => {
  it('every engine worker is a bundled entry, and no bundled file loads tsx or a .ts file', () => {
    const files = readdirSync(OUT);
    for (const name of WORKER_NAMES) expect(files).toContain(`${name}.js`);
    for (const f of files.filter((x) => x.endsWith('.js'))) {
      const text = readFileSync(join(OUT, f), 'utf8');
      expect(text, f).not.toMatch(/from\s*["']tsx/);
      expect(text, f).not.toMatch(/import\(\s*["'][^"']*\.ts["']/);
    }
  });

  it('runs a comparison and a page-table rebuild from a copy of out/main under plain Node', () => {
    const app = mkdtempSync(join(tmpdir(), 'wb-bundle-'));
    mkdirSync(join(app, 'out/main'), { recursive: true });
    for (const f of readdirSync(OUT)) copyFileSync(join(OUT, f), join(app, 'out/main', f));
    copyFileSync(join(ROOT, 'test/e2e/bundle-child.mjs'), join(app, 'bundle-child.mjs'));
    writeFileSync(join(app, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
    const scenario = scenarioSchema.parse({ name: 'bundle', seed: 5, guest: { memory: '256MiB' }, devices: [{ name: 'nic0', workload: { kind: 'nic-rx', ringBuffers: 4096, packetsPerSec: 200000 } }], migration: { maxRounds: 3, downtimeMs: 1 } });
    writeFileSync(join(app, 'scenario.json'), JSON.stringify(scenario));
    const db = join(app, 'runs.sqlite');
    const out = execFileSync(process.execPath, ['--no-experimental-strip-types', 'bundle-child.mjs', 'scenario.json', db], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { comparison: { ok: boolean; runIds: number[]; failed: unknown[] }; progress: number; format: string; walkLevels: number; failures: string[] };
    expect(r.failures).toEqual([]);
    expect(r.comparison).toMatchObject({ ok: true, runIds: [1, 2, 3], failed: [] });
    expect(r.progress).toBeGreaterThan(0);
    expect(r.format).toBe('vtdss');
    expect(r.walkLevels).toBeGreaterThan(0);
    const rows = new Database(db, { readonly: true }).prepare('SELECT vendor, status FROM run ORDER BY id').all();
    expect(rows).toEqual(['amd', 'intel', 'smmuv3'].map((vendor) => ({ vendor, status: 'complete' })));
  });
});
