import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../core/scenario/load';
import { loadPreset, presetNames, DEFAULT_PRESET } from '../../../core/scenario/presets';
import { parseSize, scenarioJsonSchema } from '../../../core/scenario/schema';

describe('scenario files', () => {
  it('every shipped preset validates, and the default is among them', () => {
    expect(presetNames()).toContain(DEFAULT_PRESET);
    expect(presetNames().length).toBeGreaterThanOrEqual(4);
    for (const name of presetNames()) expect(loadPreset(name)?.name).toBe(name);
  });

  it('parses sizes with binary units', () => {
    expect(parseSize('16GiB')).toBe(16 * 2 ** 30);
    expect(parseSize('4KiB')).toBe(4096);
    expect(parseSize(512)).toBe(512);
    expect(parseSize('16GB')).toBeNaN();
  });

  it('applies defaults (QEMU downtime, 25 Gb/s, all three vendors)', () => {
    const r = parseScenario('{"name":"x","guest":{"memory":"1GiB"},"devices":[{"name":"d","workload":{"kind":"nvme-read"}}]}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.migration).toMatchObject({ downtimeMs: 300, linkGbps: 25, maxRounds: 20, switchover: 'get-dirty-bitmap', flushAfterClear: true });
    expect(r.scenario.vendors).toEqual(['amd', 'intel', 'smmuv3']);
    expect(r.scenario.guest.memory).toBe(2 ** 30);
  });

  it('reports the line, column and field of a bad value', () => {
    const text = '{\n  "name": "x",\n  "guest": { "memory": "16GB" },\n  "devices": [\n    { "name": "d", "workload": { "kind": "nic-rx", "packetsPerSec": -5 } }\n  ]\n}';
    const r = parseScenario(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byField = Object.fromEntries(r.errors.map((e) => [e.field, e]));
    expect(byField['guest.memory']).toMatchObject({ line: 3 });
    expect(byField['guest.memory'].message).toContain('not a size');
    expect(byField['devices.0.workload.packetsPerSec']).toMatchObject({ line: 5 });
  });

  it('reports JSON syntax errors with a position and unknown fields by name', () => {
    const bad = parseScenario('{\n  "name": "x",,\n}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]).toMatchObject({ line: 2 });
    const extra = parseScenario('{"name":"x","guest":{"memory":4096},"devices":[{"name":"d","workload":{"kind":"nvme-read"}}],"colour":"red"}');
    expect(extra.ok).toBe(false);
    if (!extra.ok) expect(extra.errors[0].message).toContain('colour');
  });

  it('docs/scenario.schema.json is the schema generated from the zod definition', () => {
    const committed = JSON.parse(readFileSync('docs/scenario.schema.json', 'utf8'));
    expect(committed).toEqual(scenarioJsonSchema());
  });
});
