/**
 * The Node.js versions the workbench runs on, and the message an entry point prints on any
 * other. Node 20 (end of life 2026-04-30) crashes inside better-sqlite3 13 (a segfault, exit
 * 139, on the first statement), so every entry point checks before it touches the store.
 */

/** Oldest supported Node.js, as package.json `engines.node` says (">=22.12"). */
export const MIN_NODE_VERSION = '22.12.0';

function parts(v: string): number[] {
  return v
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10) || 0);
}

/** True when `version` ("22.23.3" or "v22.23.3") is at least {@link MIN_NODE_VERSION}. */
export function nodeVersionSupported(version: string): boolean {
  const [a, b, c] = parts(version);
  const [x, y, z] = parts(MIN_NODE_VERSION);
  return a !== x ? a > x : b !== y ? b > y : c >= z;
}

/**
 * The one-paragraph error for an unsupported Node.js (`version` running from `execPath`), or
 * null when `version` is supported. It says what to do: run through npm, whose scripts use
 * the Node 22 that `npm ci` installs into node_modules/.bin (the `node` package in
 * package.json), or install Node 22 from the npm registry.
 */
export function nodeVersionProblem(version: string, execPath: string): string | null {
  if (nodeVersionSupported(version)) return null;
  return [
    `error: IOMMU Workbench needs Node.js ${MIN_NODE_VERSION} or newer; this is Node.js v${version.replace(/^v/, '')} (${execPath}).`,
    '  `npm run cli -- ...`, `npm start`, `npm run web` and `npm test` use the Node 22 that `npm ci` installs',
    '  into node_modules/.bin: run `npm ci` in the repository, then use those commands.',
    '  Or install Node 22 yourself: `npm install --prefix ~/node22 node@22` and put ~/node22/node_modules/.bin',
    '  first on PATH.',
  ].join('\n');
}
