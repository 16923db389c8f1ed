/**
 * Run-vs-run diff across two databases (issue 15): the same small scenario recorded by two
 * `compare` runs, on kernel 6.19 and on kernel 6.7-6.18, into two files. The UI opens the
 * first, attaches the second (Compare › Diff against another database), picks the Intel run of
 * each, and shows the delta of every metric as the CLI's two --json outputs give it, with the
 * two runs overlaid. The screenshot goes to test/e2e/artifacts/ui-diff-databases.png
 * (docs/ui-diff-databases.png).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, ROOT, launchChromium, startWebHost, type WebHostProcess } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'wb-across-'));
interface CliVendor { vendor: string; runId: number; totals: Record<string, number | boolean> }
const out: Record<string, { db: string; vendors: CliVendor[] }> = {};
let host: WebHostProcess;
let browser: Browser;
let page: Page;

async function record(kernel: string, name: string): Promise<void> {
  const s = {
    name: 'across-kernels',
    seed: 4,
    kernel,
    vendors: ['amd', 'intel'],
    guest: { memory: '512MiB' },
    devices: [{ name: 'nic0', workload: { kind: 'nic-rx', ringBuffers: 4096, packetsPerSec: 500000 } }],
    migration: { maxRounds: 4, downtimeMs: 2 },
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(s));
  const db = join(dir, `${name}.sqlite`);
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', 'compare', file, '--db', db, '--json', '--threads', '1'], { cwd: ROOT, maxBuffer: 64 << 20 });
  out[name] = { db, vendors: (JSON.parse(r.stdout) as { vendors: CliVendor[] }).vendors };
}

beforeAll(async () => {
  await Promise.all([record('6.19', 'k619'), record('6.7-6.18', 'k618')]);
  host = await startWebHost();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  await page.goto(host.url);
  await page.getByLabel('Database file').fill(out.k619!.db);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByTestId('runs-table').waitFor();
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await page.waitForSelector('[data-testid=compare][data-state=ready]');
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('diff across databases', () => {
  it('diffs the Intel run of kernel 6.19 against the one of kernel 6.7-6.18 recorded in another file', async () => {
    const a = out.k619!.vendors.find((v) => v.vendor === 'intel')!;
    const b = out.k618!.vendors.find((v) => v.vendor === 'intel')!;
    const amd = out.k619!.vendors.find((v) => v.vendor === 'amd')!;
    const form = page.getByTestId('other-db');
    await form.getByRole('textbox').fill(out.k618!.db);
    await form.getByRole('button', { name: 'Attach' }).click();
    await expect.poll(() => page.getByTestId('other-db-path').textContent()).toContain('k618.sqlite');
    // Runs shown: this file's Intel run and the other file's Intel run.
    await page.getByLabel(`#${amd.runId} AMD-Vi`, { exact: true }).uncheck();
    await page.getByLabel(`#${b.runId} (k618.sqlite) Intel VT-d`, { exact: true }).check();
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.locator('caption').textContent()).toBe(`Run-vs-run diff: #${b.runId} (k618.sqlite) Intel VT-d − #${a.runId} Intel VT-d`);
    for (const key of ['dirtyPages', 'bitmapReadNs', 'pteReads', 'invalidations', 'bytesSent', 'downtimeNs', 'totalNs']) {
      expect(Number(await diff.locator(`tr[data-metric=${key}]`).getAttribute('data-delta')), key).toBe(Number(b.totals[key]) - Number(a.totals[key]));
    }
    expect(await page.getByTestId('explanations').textContent()).toContain('These runs come from two databases (k619.sqlite and k618.sqlite)');
    // The kernels' dirty-read code differs: the bitmap reads cost differently.
    expect(Number(b.totals.bitmapReadNs)).not.toBe(Number(a.totals.bitmapReadNs));
    // Overlaid series, one per run (the other file's run dashed), each with data.
    expect(await page.getByTestId('chart-dirty-overlay').locator('canvas').count()).toBe(1);
    for (const id of [a.runId, 1_000_000_000 + b.runId]) expect(Number(await page.getByTestId(`chart-dirty-${id}`).getAttribute('data-points'))).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}/ui-diff-databases.png`, fullPage: false });
  });

  it('keeps the other database and its run in the URL: a reload restores the diff', async () => {
    const b = out.k618!.vendors.find((v) => v.vendor === 'intel')!;
    const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
    expect(hash.get('other')).toBe(out.k618!.db);
    expect(hash.get('runs')).toContain(String(1_000_000_000 + b.runId));
    await page.reload();
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    await page.getByTestId('diff').waitFor();
    expect(await page.getByTestId('diff').locator('caption').textContent()).toContain(`#${b.runId} (k618.sqlite) Intel VT-d`);
  });

  it('detaching removes the other runs from the picker and the diff', async () => {
    await page.getByTestId('other-db').getByRole('button', { name: 'Detach' }).click();
    await expect.poll(() => page.getByText('(k618.sqlite)').count()).toBe(0);
    await expect.poll(() => page.getByTestId('diff').count()).toBe(0);
  });
});
