import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignments, buildGrid, coordinates } from '../../../core/sweep/expand';
import { parseSweep } from '../../../core/sweep/load';
import { getPath, setPath } from '../../../core/sweep/paths';
import { checkPoints, makePlan, pointScenario, selfContained, type SweepPlan } from '../../../core/sweep/plan';
import { resolveSweep, planFromText } from '../../../core/sweep/sweep-file';
import { sweepSchema, type SweepInput } from '../../../core/sweep/schema';

const BASE = { name: 'b', seed: 3, vendors: ['amd', 'smmuv3'], guest: { memory: '64MiB' }, devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 50000 } }], migration: { maxRounds: 2 } };

function plan(input: Omit<SweepInput, 'base'> & { base?: SweepInput['base'] }): SweepPlan {
  const s = sweepSchema.parse({ base: BASE, ...input });
  const p = makePlan(s, s.base as Record<string, unknown>, 'inline');
  if (!p.ok) throw new Error(p.errors.join('\n'));
  return p.plan;
}

describe('sweep expansion: deterministic numbering', () => {
  const p = plan({
    name: 'grid',
    axes: [
      { path: 'guest.pagePolicy', values: ['4k', 'huge'] },
      { zip: [{ path: 'guest.memory', values: ['64MiB', '128MiB', '256MiB'] }, { path: 'devices.0.workload.iops', values: [1000, 2000, 3000] }] },
      { path: 'seed', range: { from: 1, to: 2, step: 1 } },
    ],
  });

  it('numbers the grid row-major: first axis slowest, last fastest; a zip group is one dimension', () => {
    expect(p.grid.count).toBe(2 * 3 * 2);
    const rows = Array.from({ length: p.grid.count }, (_, i) => assignments(p.grid, i).map((a) => a.value));
    expect(rows).toEqual([
      ['4k', '64MiB', 1000, 1], ['4k', '64MiB', 1000, 2], ['4k', '128MiB', 2000, 1], ['4k', '128MiB', 2000, 2], ['4k', '256MiB', 3000, 1], ['4k', '256MiB', 3000, 2],
      ['huge', '64MiB', 1000, 1], ['huge', '64MiB', 1000, 2], ['huge', '128MiB', 2000, 1], ['huge', '128MiB', 2000, 2], ['huge', '256MiB', 3000, 1], ['huge', '256MiB', 3000, 2],
    ]);
  });

  it('is stable across parses: same text, same hash and the same point N', () => {
    const text = JSON.stringify(selfContained(p));
    const again = planFromText(text, 'x.json', '.');
    if (!again.ok) throw new Error(again.message);
    expect(again.plan.hash).toBe(p.hash);
    for (let i = 0; i < p.grid.count; i++) expect(assignments(again.plan.grid, i)).toEqual(assignments(p.grid, i));
    // Pinned: point files store the hash, so a change to how it is computed must show up here.
    expect(p.hash).toBe('09e5181cef9801e5');
  });

  it('applies each point at its dotted paths and validates it like a scenario file (sizes in bytes)', () => {
    const r = pointScenario(p, 9);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.point.name).toBe('grid-p9');
    expect(r.point.scenario.guest).toMatchObject({ pagePolicy: 'huge', memory: 128 * 2 ** 20 });
    expect(r.point.scenario.devices[0].workload).toMatchObject({ kind: 'nvme-read', iops: 2000 });
    expect(r.point.scenario.seed).toBe(2);
    expect(r.point.params).toEqual({ 'guest.pagePolicy': 'huge', 'guest.memory': 128 * 2 ** 20, 'devices.0.workload.iops': 2000, seed: 2 });
    // The base is untouched.
    expect(p.base.guest).toEqual({ memory: '64MiB' });
  });

  it('generates geometric and linear ranges (sizes in bytes, the end included when reached)', () => {
    const g = plan({ name: 'r', axes: [{ path: 'guest.memory', range: { from: '4GiB', to: '256GiB', factor: 4 } }] });
    expect(g.grid.dimensions[0].axes[0]).toEqual({ path: 'guest.memory', values: [4, 16, 64, 256].map((n) => n * 2 ** 30), unit: 'bytes' });
    const l = plan({ name: 'r', axes: [{ path: 'migration.linkGbps', range: { from: 10, to: 40, step: 15 } }] });
    expect(l.grid.dimensions[0].axes[0].values).toEqual([10, 25, 40]);
    const f = plan({ name: 'r', axes: [{ path: 'migration.linkGbps', range: { from: 0.1, to: 0.35, step: 0.1 } }] });
    expect(f.grid.dimensions[0].axes[0].values).toEqual([0.1, 0.2, 0.30000000000000004]);
  });

  it('property: index → coordinates is a bijection onto the grid, for any shape', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }), (lengths) => {
        const s = sweepSchema.parse({ name: 'prop', base: BASE, axes: lengths.map((n, i) => ({ path: `costOverrides.k${i}`, values: Array.from({ length: n }, (_, j) => j) })) });
        const g = buildGrid(s);
        if (!g.ok) return false;
        const seen = new Set<string>();
        for (let i = 0; i < g.grid.count; i++) {
          const c = coordinates(g.grid, i);
          if (c.some((x, d) => x < 0 || x >= lengths[d])) return false;
          seen.add(c.join(','));
        }
        return g.grid.count === lengths.reduce((a, b) => a * b, 1) && seen.size === g.grid.count;
      }),
      { seed: 17, numRuns: 200 },
    );
  });

  it('rejects an index outside the grid', () => {
    expect(() => pointScenario(p, 12)).toThrow(RangeError);
    expect(() => coordinates(p.grid, -1)).toThrow(RangeError);
  });
});

describe('sweep files: errors name the field, the axis or the point', () => {
  it('JSONC with comments and trailing commas parses; schema errors carry line:col', () => {
    const ok = parseSweep('// c\n{ "name": "a", "base": "nic-rx-16g", "axes": [ { "path": "seed", "values": [1, 2], }, ], }');
    expect(ok.ok).toBe(true);
    const bad = parseSweep('{\n  "name": "a",\n  "base": "nic-rx-16g",\n  "axes": [\n    { "path": "seed", "values": [1], "range": { "from": 1, "to": 2, "step": 1 } }\n  ]\n}');
    expect(bad).toEqual({ ok: false, errors: [{ line: 5, column: 5, field: 'axes.0', message: 'give exactly one of values or range' }] });
    const name = parseSweep('{ "name": "Bad Name", "base": "x", "axes": [{ "path": "seed", "values": [1] }] }');
    expect(name.ok || name.errors[0].field).toBe('name');
  });

  it('hostile text: deep nesting (also inside a base) and oversize text are refused before parsing, comments do not count', () => {
    const deep = parseSweep(`{ "name": "a", "base": ${'['.repeat(100_000)} }`);
    expect(deep.ok).toBe(false);
    if (!deep.ok) expect(deep.errors[0]).toMatchObject({ line: 1, field: '', message: expect.stringContaining('nested more than 32 levels deep') });
    const big = parseSweep(`{ "name": "a" ${' '.repeat(1 << 20)}}`);
    expect(!big.ok && big.errors[0].message).toContain('characters; at most');
    const commented = parseSweep(`// ${'['.repeat(40)}\n/* ${'{'.repeat(40)} */ { "name": "a", "base": "nic-rx-16g", "axes": [{ "path": "seed", "values": [1] }] }`);
    expect(commented.ok).toBe(true);
  });

  it('zip groups need equal lengths; two axes may not set the same field', () => {
    const zip = sweepSchema.parse({ name: 'z', base: BASE, axes: [{ zip: [{ path: 'seed', values: [1, 2] }, { path: 'guest.memory', values: ['64MiB'] }] }] });
    expect(buildGrid(zip)).toEqual({ ok: false, errors: ['zip of seed (2), guest.memory (1): zipped axes need the same number of values'] });
    const dup = sweepSchema.parse({ name: 'z', base: BASE, axes: [{ path: 'guest', values: [{ memory: '64MiB' }] }, { path: 'guest.memory', values: ['64MiB'] }] });
    expect(buildGrid(dup)).toEqual({ ok: false, errors: ['axes guest and guest.memory set the same field'] });
    const range = sweepSchema.parse({ name: 'z', base: BASE, axes: [{ path: 'guest.memory', range: { from: '8GiB', to: '4GiB', factor: 2 } }] });
    expect(buildGrid(range)).toEqual({ ok: false, errors: ['guest.memory: range.from (8589934592) is greater than range.to (4294967296)'] });
  });

  it('a value the scenario schema refuses is reported with the point, its assignments and the field', () => {
    const p = plan({ name: 'v', axes: [{ path: 'guest.pagePolicy', values: ['4k', 'bogus'] }] });
    expect(checkPoints(p)).toEqual([expect.stringMatching(/^point 1 \(guest\.pagePolicy="bogus"\) guest\.pagePolicy: Invalid option/)]);
    const unknown = plan({ name: 'v', axes: [{ path: 'guest.noSuchField', values: [1] }] });
    expect(checkPoints(unknown)[0]).toMatch(/^point 0 \(guest\.noSuchField=1\) guest: Unrecognized key: "noSuchField"/);
    const past = plan({ name: 'v', axes: [{ path: 'devices.3.ats', values: [true] }] });
    expect(checkPoints(past)).toEqual(['point 0: devices.3.ats: index 3 is past the end of devices (length 1)']);
  });

  it('the base may be a scenario preset; a bad base is reported before any point', () => {
    const r = planFromText(JSON.stringify({ name: 'p', base: 'nic-rx-16g', axes: [{ path: 'seed', values: [1, 2] }] }), 'p.json', '.');
    if (!r.ok) throw new Error(r.message);
    expect(r.plan.baseSource).toBe('preset nic-rx-16g');
    const bad = planFromText(JSON.stringify({ name: 'p', base: { ...BASE, guest: { memory: 'lots' } }, axes: [{ path: 'seed', values: [1] }] }), 'p.json', '.');
    expect(bad.ok ? '' : bad.message).toMatch(/^p\.json: base scenario \(inline\) guest\.memory: not a size/);
  });

  it('the preset sweep expands to 2 page policies × 4..256 GiB, and its points validate', () => {
    const r = resolveSweep('dirty-cost-vs-guest-size');
    if (!r.ok) throw new Error(r.message);
    expect(r.plan.grid.count).toBe(14);
    expect(checkPoints(r.plan)).toEqual([]);
    const last = pointScenario(r.plan, 13);
    expect(last.ok && last.point.scenario.guest).toMatchObject({ pagePolicy: 'huge', memory: 256 * 2 ** 30 });
    expect(last.ok && last.point.scenario.vendors).toEqual(['amd', 'intel', 'smmuv3']);
  });
});

describe('dotted paths', () => {
  it('setPath copies, creates missing objects, and refuses to walk through scalars', () => {
    const root = { a: { b: 1 }, list: [{ x: 1 }] };
    const r = setPath(root, 'hardware.intelRfcFaithful', true);
    expect(r).toEqual({ ok: true, value: { ...root, hardware: { intelRfcFaithful: true } } });
    expect(root).toEqual({ a: { b: 1 }, list: [{ x: 1 }] });
    expect(setPath(root, 'a.b.c', 1)).toEqual({ ok: false, message: 'a.b.c: a.b is not an object' });
    expect(getPath({ list: [{ x: 5 }] }, 'list.0.x')).toBe(5);
    expect(getPath({ list: [] }, 'list.0.x')).toBeUndefined();
  });
});

describe('sweep JSON Schema', () => {
  it('docs/sweep.schema.json is the schema generated from the zod definition', async () => {
    const { readFileSync } = await import('node:fs');
    const { sweepJsonSchema } = await import('../../../core/sweep/schema');
    expect(JSON.parse(readFileSync('docs/sweep.schema.json', 'utf8'))).toEqual(sweepJsonSchema());
  });
});
