// Root postinstall: try Electron's own binary download, but never fail the install.
// npm's `allowScripts` skips electron's postinstall (it cannot reach its download host on
// our CI machines); on a desktop with internet this fetches the binary so `npm start` works.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1') {
  console.warn('[iommu-workbench] ELECTRON_SKIP_BINARY_DOWNLOAD=1: Electron binary not downloaded; npm start will not work, npm test and npm run web will.');
  process.exit(0);
}
let installer;
try {
  installer = require.resolve('electron/install.js');
} catch {
  process.exit(0);
}
const r = spawnSync(process.execPath, [installer], { stdio: 'inherit', timeout: 120_000 });
if (r.status !== 0 || !existsSync(require.resolve('electron/path.txt', { paths: [process.cwd()] }) ?? '')) {
  console.warn('[iommu-workbench] warning: the Electron binary could not be downloaded; `npm start` needs it. Everything else (npm test, npm run web, npm run cli) works without it.');
}
process.exit(0);
