import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// The import rules of DESIGN.md §2 are enforced by eslint.config.js; these cases prove each
// rule fires (and that allowed imports stay allowed).
const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res.messages.map((m) => m.ruleId ?? m.message);
}

describe('DESIGN.md import rules (eslint.config.js)', () => {
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
  it('fails when Node-only modules appear outside core/store and core/cli', async () => {
    expect(await ruleIds("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'core/iommufd/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import Database from 'better-sqlite3';\nexport const d = Database;\n", 'core/trace/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'core/store/ok.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIds("import Database from 'better-sqlite3';\nexport const d = Database;\n", 'core/cli/ok.ts')).not.toContain('no-restricted-imports');
  });
  it('fails when the renderer imports core/ runtime code, but allows API types', async () => {
    expect(await ruleIds("import { ERRNO } from '../../../core/errno';\nexport const e = ERRNO;\n", 'renderer/src/lib/bad.ts')).toContain('@typescript-eslint/no-restricted-imports');
    expect(await ruleIds("import { API_METHODS } from '../../../electron/api';\nexport const m = API_METHODS;\n", 'renderer/src/lib/bad.ts')).toContain('@typescript-eslint/no-restricted-imports');
    expect(await ruleIds("import type { EngineInfo } from '../../../electron/api';\nexport type E = EngineInfo;\n", 'renderer/src/lib/ok.ts')).toEqual([]);
  });
});

describe('import rules do not over-match', () => {
  it('a relative module named like a Node builtin is allowed in core/', async () => {
    expect(await ruleIds("import { X } from './events';\nexport const x = X;\n", 'core/trace/ok.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIds("import { EventEmitter } from 'events';\nexport const e = EventEmitter;\n", 'core/trace/bad.ts')).toContain('no-restricted-imports');
  });
});
