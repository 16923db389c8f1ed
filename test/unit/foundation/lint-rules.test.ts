import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// The import rules of docs/architecture.md are enforced by eslint.config.js; these cases prove each
// rule fires (and that allowed imports stay allowed).
const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res.messages.map((m) => m.ruleId ?? m.message);
}

describe('docs/architecture.md import rules (eslint.config.js)', () => {
  it('fails when core/ imports electron', async () => {
    expect(await ruleIds("import { app } from 'electron';\nexport const a = app;\n", 'core/pt/bad.ts')).toContain('no-restricted-imports');
  });
  it('fails when core/ imports the renderer or the hosts', async () => {
    expect(await ruleIds("import x from '../../renderer/src/lib/api';\nexport const a = x;\n", 'core/pt/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import x from '../../electron/host/engine-host';\nexport const a = x;\n", 'core/pt/bad.ts')).toContain('no-restricted-imports');
  });
  it('fails when core/ uses DOM globals', async () => {
    expect(await ruleIds('export const w = window.innerWidth;\n', 'core/pt/bad.ts')).toContain('no-restricted-globals');
  });
  it('fails when Node-only modules appear outside core/store, core/run and core/cli', async () => {
    expect(await ruleIds("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'core/iommufd/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import Database from 'better-sqlite3';\nexport const d = Database;\n", 'core/trace/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'core/store/ok.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIds("import Database from 'better-sqlite3';\nexport const d = Database;\n", 'core/cli/ok.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIds("import { spawn } from 'node:child_process';\nexport const s = spawn;\n", 'core/sweep/ok.ts')).not.toContain('no-restricted-imports');
  });
  it('fails when the renderer imports core/ runtime code, but allows API types', async () => {
    expect(await ruleIds("import { ERRNO } from '../../../core/base/errno';\nexport const e = ERRNO;\n", 'renderer/src/lib/bad.ts')).toContain('@typescript-eslint/no-restricted-imports');
    expect(await ruleIds("import { ApiResult } from '../../../electron/api';\nexport type R = ApiResult<number>;\n", 'renderer/src/lib/bad.ts')).toContain('@typescript-eslint/no-restricted-imports');
    expect(await ruleIds("import type { EngineInfo } from '../../../electron/api';\nexport type E = EngineInfo;\n", 'renderer/src/lib/ok.ts')).toEqual([]);
  });
});

describe('import rules do not over-match', () => {
  it('a relative module named like a Node builtin is allowed in core/', async () => {
    expect(await ruleIds("import { X } from './events';\nexport const x = X;\n", 'core/trace/ok.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIds("import { EventEmitter } from 'events';\nexport const e = EventEmitter;\n", 'core/trace/bad.ts')).toContain('no-restricted-imports');
  });
});

describe('layer order of docs/architecture.md (eslint-plugin-boundaries)', () => {
  const imp = (spec: string): string => `import * as m from '${spec}';\nexport const x = m;\n`;
  // [importing file, import specifier]: each must be refused.
  const refused: [string, string][] = [
    ['core/pt/bad.ts', '../hw/engine'], // formats know no IOTLB or queue
    ['core/pt/bad.ts', '../iommufd/ctx'], // the page table is the lowest layer
    ['core/hw/bad.ts', '../iommufd/ctx'], // silicon knows no uAPI
    ['core/hw/bad.ts', '../iommu/paging-domain'], // silicon knows no driver
    ['core/iommu/bad.ts', '../iommufd/ctx'], // drivers serve iommufd, not the reverse
    ['core/iommufd/bad.ts', '../store/db'], // the engine records through trace, never SQL
    ['core/iommu/bad.ts', '../store/db'],
    ['core/hw/bad.ts', '../store/db'],
    ['core/store/bad.ts', '../scenario/schema'], // the store knows runs and events, not scenarios
    ['core/workload/bad.ts', '../scenario/schema'], // workloads are below the scenario
    ['core/base/bad.ts', '../pt/walker'], // base imports nothing
    ['core/rpc/bad.ts', '../store/db'], // the channel helper knows no layer
    ['core/scenario/bad.ts', '../run/parallel'], // orchestration sits above the scenario
    ['electron/host/bad.ts', '../../core/cli/main'], // hosts call run/, not the command line
    ['core/scenario/bad.ts', '../sweep/plan'], // scenarios know nothing of sweeps
    ['core/store/bad.ts', '../sweep/point-files'], // the store keeps sweep-unaware files
    ['core/run/bad.ts', '../sweep/run-point'], // sweeps sit above the run orchestration
    ['core/sweep/bad.ts', '../cli/sweep'], // the engine of sweeps does not call the CLI
  ];
  it.each(refused)('%s may not import %s', async (file, spec) => {
    expect(await ruleIds(imp(spec), file)).toContain('boundaries/dependencies');
  });
  const allowed: [string, string][] = [
    ['core/iommufd/ok.ts', '../iommu/registry'],
    ['core/iommu/ok.ts', '../hw/engine'],
    ['core/workload/ok.ts', '../iommufd/platform'],
    ['core/run/ok.ts', '../store/writer'],
    ['core/store/ok.ts', '../rpc/comlink-port'],
    ['electron/host/ok.ts', '../../core/run/parallel'],
    ['core/sweep/ok.ts', '../run/parallel'],
    ['core/cli/ok.ts', '../sweep/merge'],
    ['electron/host/ok.ts', '../../core/sweep/results-db'],
  ];
  it.each(allowed)('%s may import %s', async (file, spec) => {
    expect(await ruleIds(imp(spec), file)).not.toContain('boundaries/dependencies');
  });
  it('the API contract imports only the pure type files of core', async () => {
    expect(await ruleIds("import type { Scenario } from '../core/scenario/schema';\nexport type S = Scenario;\n", 'electron/api.ts')).toContain('@typescript-eslint/no-restricted-imports');
    expect(await ruleIds("import type { RunSummary } from '../core/store/queries/types';\nexport type R = RunSummary;\n", 'electron/api.ts')).not.toContain('@typescript-eslint/no-restricted-imports');
  });
});
