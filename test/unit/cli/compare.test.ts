import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { cli as run } from '../hardening/helpers';

const dir = mkdtempSync(join(tmpdir(), 'wb-cli-'));
const SMALL = { name: 'small', seed: 3, guest: { memory: '256MiB' }, devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 50000 } }], migration: { maxRounds: 3, downtimeMs: 5 } };
const file = join(dir, 'small.json');
writeFileSync(file, JSON.stringify(SMALL, null, 2));



describe('iommu-workbench compare', () => {
  it('runs every vendor, records one run each, and is deterministic for a seed', async () => {
    const db = join(dir, 'a.sqlite');
    const a = await run(['compare', file, '--db', db, '--json']);
    expect(a.err).toBe('');
    expect(a.code).toBe(0);
    const s = JSON.parse(a.out);
    expect(s.vendors.map((v: { vendor: string }) => v.vendor)).toEqual(['amd', 'intel', 'smmuv3']);
    for (const v of s.vendors) {
      expect(v.totals.dirtyPages).toBeGreaterThan(0);
      expect(v.totals.rounds).toBeGreaterThan(1);
      expect(v.totals.missedPages).toBe(0);
    }
    const rows = new Database(db, { readonly: true }).prepare('SELECT vendor, status FROM run ORDER BY id').all();
    expect(rows).toEqual([
      { vendor: 'amd', status: 'complete' },
      { vendor: 'intel', status: 'complete' },
      { vendor: 'smmuv3', status: 'complete' },
    ]);
    // In this thread (--threads 1) the result is the same as in parallel workers.
    const cmp = new Database(db, { readonly: true }).prepare('SELECT scenario, seed, run_ids, summary FROM comparison').all() as { scenario: string; seed: number; run_ids: string; summary: string }[];
    expect(cmp).toHaveLength(1);
    expect(cmp[0]).toMatchObject({ scenario: 'small', seed: 3, run_ids: '[1,2,3]' });
    expect(JSON.parse(cmp[0].summary).explanations).toEqual(s.explanations);
    const b = await run(['compare', file, '--json', '--threads', '1']);
    const s2 = JSON.parse(b.out);
    expect(s2.vendors.map((v: { totals: unknown }) => v.totals)).toEqual(s.vendors.map((v: { totals: unknown }) => v.totals));
  });

  it('exits 2 with line and field on a bad scenario file, and on an unknown preset', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "name": "x",\n  "guest": { "memory": "lots" },\n  "devices": []\n}');
    const r = await run(['compare', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}:3:`);
    expect(r.err).toContain('guest.memory');
    expect((await run(['compare', 'no-such-preset'])).code).toBe(2);
    expect((await run(['run', file, '--vendor', 'ppc'])).code).toBe(2);
  });

  it('lists the presets', async () => {
    const r = await run(['scenarios', '--json']);
    expect(JSON.parse(r.out).map((p: { name: string }) => p.name)).toContain('nic-rx-16g');
  });
});
