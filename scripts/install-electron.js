// Root postinstall: try Electron's own binary download, but never fail the install.
// npm's `allowScripts` skips electron's postinstall (it cannot reach its download host on
// our CI machines); on a desktop with internet this fetches the binary so `npm start` works.
import { downloadElectronBinary, electronBinaryPresent, electronPackageDir } from './electron-binary.js';

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1') {
  console.warn('[iommu-workbench] ELECTRON_SKIP_BINARY_DOWNLOAD=1: Electron binary not downloaded; npm start will not work, npm test and npm run web will.');
  process.exit(0);
}
if (!electronPackageDir() || electronBinaryPresent()) process.exit(0);
const r = downloadElectronBinary();
if (!r.ok) {
  console.warn(`[iommu-workbench] warning: the Electron binary could not be downloaded (${r.reason}); \`npm start\` needs it. Everything else (npm test, npm run web, npm run cli) works without it.`);
}
process.exit(0);
