/**
 * The newcomer path (issue 13): the project brings Node 22 (the `node` package), and every
 * entry point refuses an older Node with a clear message instead of better-sqlite3's segfault.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MIN_NODE_VERSION, nodeVersionProblem, nodeVersionSupported } from '../../../core/base/node-version';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
  scripts: Record<string, string>;
};

/** The machine's own node (Debian's), when it is older than we support. */
const SYSTEM_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
  if (!existsSync(p)) return false;
  const v = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  return v !== '' && !nodeVersionSupported(v);
});

describe('supported Node.js versions', () => {
  it('compares versions numerically against the engines field', () => {
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_VERSION.replace(/\.0$/, '')}`);
    for (const v of ['22.12.0', 'v22.12.0', '22.23.3', '23.0.0', '24.1.0', '100.0.0']) expect(nodeVersionSupported(v), v).toBe(true);
    for (const v of ['20.20.2', 'v20.20.2', '22.11.9', '22.9.0', '18.19.0', '21.99.99']) expect(nodeVersionSupported(v), v).toBe(false);
  });

  it('says what ran, where, and what to do', () => {
    expect(nodeVersionProblem('22.23.3', '/x/node')).toBeNull();
    const m = nodeVersionProblem('20.20.2', '/usr/bin/node')!;
    expect(m).toMatch(/^error: IOMMU Workbench needs Node.js 22.12.0 or newer; this is Node.js v20.20.2 \(\/usr\/bin\/node\)/);
    expect(m).toContain('npm ci');
    expect(m).toContain('npm install --prefix ~/node22 node@22');
  });

  it('package.json brings a supported Node (node_modules/.bin/node for npm scripts) and allows its install script', () => {
    const v = pkg.dependencies.node;
    expect(v).toMatch(/^\d+\.\d+\.\d+$/);
    expect(nodeVersionSupported(v)).toBe(true);
    expect(pkg.allowScripts.node).toBe(true);
    // The npm scripts run on it: this test itself runs under `npm test`/vitest.
    expect(nodeVersionSupported(process.versions.node)).toBe(true);
  });

  it('npm start checks for the Electron binary first (no "Electron uninstall" stack trace)', () => {
    expect(pkg.scripts.start.startsWith('node scripts/check-electron.js && ')).toBe(true);
  });
});

describe.runIf(SYSTEM_NODE)(`the machine's own older node (${SYSTEM_NODE})`, () => {
  const run = (args: string[]) => spawnSync(SYSTEM_NODE!, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

  it('bin/iommu-workbench.js stops at once with exit 1 and the message (no segfault)', () => {
    const r = run(['bin/iommu-workbench.js', 'compare', 'nic-rx-16g', '--db', '/nonexistent-dir/x.sqlite']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('IOMMU Workbench needs Node.js 22.12.0 or newer');
    expect(r.stdout).toBe('');
  });

  it('the web host entry stops too', () => {
    const r = run(['--import', 'tsx', 'electron/web/server.ts', '--port', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('IOMMU Workbench needs Node.js 22.12.0 or newer');
  });
});
