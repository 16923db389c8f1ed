/**
 * End-to-end harness: starts the browser-mode web host (the real `electron/web/server.ts`
 * in a child process, as `npm run web` does after building) on a free port and drives
 * Debian's Chromium with playwright-core. Fails with a one-line hint when Chromium is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

/** Flags from TOOLCHAIN.md: headless, no network side channels. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface WebHostProcess {
  url: string;
  origin: string;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start `tsx electron/web/server.ts --port 0` (serving `rendererDir`) and wait for its URL line. */
export async function startWebHost(rendererDir = `${ROOT}/out/renderer`): Promise<WebHostProcess> {
  if (!existsSync(`${rendererDir}/index.html`)) throw new Error(`${rendererDir} missing: run \`npx electron-vite build\` (npm run test:e2e does)`);
  const args = ['--import', 'tsx', 'electron/web/server.ts', '--port', '0', '--renderer', rendererDir];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /Open: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`web host exited with ${code}:\n${out}`)));
  });
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    token: u.searchParams.get('token')!,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Launch Debian's Chromium, or fail with the install hint. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * A new page of `browser` at the web host's URL; console errors/warnings and page errors are
 * appended to `problems` (tests assert it stays empty).
 */
export async function openHostPage(browser: Browser, host: WebHostProcess, viewport: { width: number; height: number }, problems: string[] = []): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(host.url);
  return page;
}

/** Open database `db` from the Runs view and show Compare until it is ready. */
export async function openInCompare(page: Page, db: string): Promise<void> {
  await page.getByLabel('Database file').fill(db);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByTestId('runs-table').waitFor();
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await page.waitForSelector('[data-testid=compare][data-state=ready]');
}
