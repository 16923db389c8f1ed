// `npm start` step 1: the desktop app needs Electron's binary. When `npm ci` could not fetch it
// (no network, or ELECTRON_SKIP_BINARY_DOWNLOAD=1), try once more, then stop with what is
// missing and the browser mode that needs no binary, instead of electron's "Electron uninstall".
import { downloadElectronBinary, electronBinaryPresent } from './electron-binary.js';

if (!electronBinaryPresent()) {
  const r = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1' ? { ok: false, reason: 'ELECTRON_SKIP_BINARY_DOWNLOAD=1 is set' } : downloadElectronBinary();
  if (!r.ok) {
    console.error(
      [
        `error: npm start needs Electron's binary (node_modules/electron/dist), which is not installed (${r.reason}).`,
        '  It is downloaded from GitHub during `npm ci`; on a machine with internet access run',
        '  `node node_modules/electron/install.js` (or `npm ci` again without ELECTRON_SKIP_BINARY_DOWNLOAD).',
        '  Without it, use the browser mode: `npm run web` (the same UI and engine; open the printed URL).',
      ].join('\n'),
    );
    process.exit(1);
  }
}
