// Electron's binary: is it there, and fetching it (node_modules/electron/install.js) without
// failing anything. `electron` itself downloads the binary from GitHub in its postinstall and
// on first require; without network access both fail with a stack trace. The root postinstall
// (install-electron.js) and `npm start` (check-electron.js) use these helpers instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Directory of the installed `electron` package, or null when it is not installed. */
export function electronPackageDir() {
  try {
    return dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/** True when Electron's binary is installed (path.txt names an existing file under dist/). */
export function electronBinaryPresent() {
  const dir = electronPackageDir();
  if (!dir || !existsSync(join(dir, 'path.txt'))) return false;
  return existsSync(join(dir, 'dist', readFileSync(join(dir, 'path.txt'), 'utf8').trim()));
}

/**
 * Run Electron's own installer (downloads about 100 MB from GitHub). Its output is captured;
 * returns { ok, reason } where reason is the installer's last error line when it failed.
 */
export function downloadElectronBinary() {
  const dir = electronPackageDir();
  if (!dir) return { ok: false, reason: 'the electron package is not installed (run npm ci)' };
  const r = spawnSync(process.execPath, [join(dir, 'install.js')], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0 && electronBinaryPresent()) return { ok: true, reason: '' };
  const lines = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const reason = r.error?.message ?? lines.find((l) => /error|failed/i.test(l)) ?? lines[0] ?? `exit code ${r.status}`;
  return { ok: false, reason };
}
