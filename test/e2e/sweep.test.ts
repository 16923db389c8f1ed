/**
 * The Sweep view end to end in Chromium (browser mode): a tiny sweep (3 guest sizes × 2 seeds,
 * 2 vendors) recorded with runPoint, opened as a directory (merged into DuckDB by the host),
 * plotted per vendor with the seed repeats as a band; a click lists the points at one x and
 * opens one in Compare. The screenshot goes to test/e2e/artifacts/sweep.png (docs/ui-sweep.png).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { prepareOutDir, pointPath } from '../../core/sweep/point-files';
import { runPoint } from '../../core/sweep/run-point';
import { planFromText } from '../../core/sweep/sweep-file';
import { ARTIFACTS, launchChromium, openHostPage, startWebHost, type WebHostProcess } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'wb-e2e-sweep-'));
const out = join(dir, 'sw');
const SWEEP = {
  name: 'e2e-sweep',
  base: { name: 'e2e', seed: 1, vendors: ['amd', 'smmuv3'], guest: { memory: '64MiB' }, devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 50000 } }], migration: { maxRounds: 2, downtimeMs: 5 } },
  axes: [
    { path: 'guest.memory', values: ['64MiB', '128MiB', '256MiB'] },
    { path: 'seed', values: [1, 2] },
  ],
};
let host: WebHostProcess;
let browser: Browser;
let page: Page;
const problems: string[] = [];

/** Simulated ns as the UI shows them: 3 significant digits in s, ms, µs or ns. */
function ns(v: number): string {
  const f = (x: number): string => new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 }).format(x);
  return v >= 1e9 ? `${f(v / 1e9)} s` : v >= 1e6 ? `${f(v / 1e6)} ms` : v >= 1e3 ? `${f(v / 1e3)} µs` : `${v} ns`;
}

/** bitmap_read_ns of `vendor` in point `i`, read from its SQLite file. */
function bitmapNs(i: number, vendor: string): number {
  const db = new Database(pointPath(out, i), { readonly: true });
  try {
    const s = JSON.parse((db.prepare('SELECT summary FROM comparison').get() as { summary: string }).summary) as { vendors: { vendor: string; totals: { bitmapReadNs: number } }[] };
    return s.vendors.find((v) => v.vendor === vendor)!.totals.bitmapReadNs;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  const p = planFromText(JSON.stringify(SWEEP), 'e2e.json', dir);
  if (!p.ok) throw new Error(p.message);
  prepareOutDir(p.plan, out);
  for (let i = 0; i < p.plan.grid.count; i++) {
    const r = await runPoint(p.plan, i, out);
    if (!r.ok) throw new Error(r.error.message);
  }
  host = await startWebHost();
  browser = await launchChromium();
  page = await openHostPage(browser, host, { width: 1400, height: 900 }, problems);
});
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('Sweep view', () => {
  it('refuses a path that is not a sweep result', async () => {
    await page.getByRole('button', { name: 'Sweep', exact: true }).click();
    await page.getByRole('heading', { name: 'Sweep', level: 2 }).waitFor();
    await page.getByLabel('Sweep result').fill(join(dir, 'nothing-here'));
    await page.getByRole('button', { name: 'Open sweep' }).click();
    await expect.poll(() => page.getByTestId('sweep-error').textContent(), { timeout: 30_000 }).toMatch(/^ENOENT: /);
  });

  it('opens a sweep directory (merged by the host) and plots one line per vendor with the seeds as a band', async () => {
    await page.getByLabel('Sweep result').fill(out);
    await page.getByRole('button', { name: 'Open sweep' }).click();
    await expect.poll(() => page.getByTestId('sweep-info').textContent(), { timeout: 60_000 }).toContain('e2e-sweep · 6 of 6 points · vendors amd, smmuv3');
    expect(existsSync(join(out, 'results.duckdb'))).toBe(true);
    const chart = page.getByTestId('sweep-chart');
    await expect.poll(() => chart.getAttribute('data-lines'), { timeout: 30_000 }).toBe('amd,smmuv3');
    expect(await chart.getAttribute('data-x')).toBe('guest.memory');
    expect(await chart.getAttribute('data-metric')).toBe('bitmap_read_ns');
    // Seed is pooled by default: 2 points behind every value of every line.
    expect(await chart.getAttribute('data-bands')).toBe('2/2/2,2/2/2');
    expect(await chart.locator('canvas').count()).toBe(1);
    expect(await page.getByLabel('x axis').inputValue()).toBe('guest.memory');
  });

  it('a click lists the points at that x with their values; one opens in Compare', async () => {
    const over = page.getByTestId('sweep-chart').locator('.u-over');
    const box = (await over.boundingBox())!;
    // 64, 128, 256 MiB on a linear scale: 128 MiB is a third of the way.
    await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2);
    await page.mouse.click(box.x + box.width / 3, box.y + box.height / 2);
    const panel = page.getByTestId('sweep-points');
    await expect.poll(() => panel.locator('h3').textContent(), { timeout: 15_000 }).toBe('guest.memory = 128 MiB: bitmap-read time');
    const rows = await panel.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())));
    // Points 2 and 3 are 128 MiB with seeds 1 and 2; values as the point files hold them.
    expect(rows.map((r) => r[0])).toEqual(['#2', '#3']);
    expect(rows.map((r) => r.slice(1, 3))).toEqual([2, 3].map((i) => [ns(bitmapNs(i, 'amd')), ns(bitmapNs(i, 'smmuv3'))]));
    await page.screenshot({ path: `${ARTIFACTS}/sweep.png`, fullPage: true });

    // Another metric, seed fixed: one point per value.
    await page.getByLabel('y metric').selectOption({ label: 'pre-copy rounds' });
    await page.getByLabel('seed').selectOption('2');
    await expect.poll(() => page.getByTestId('sweep-chart').getAttribute('data-bands'), { timeout: 30_000 }).toBe('1/1/1,1/1/1');
    expect(await page.getByTestId('sweep-chart').getAttribute('data-metric')).toBe('rounds');

    await panel.getByRole('button', { name: 'Open in Compare' }).first().click();
    await page.getByRole('heading', { name: 'Compare', level: 2 }).waitFor();
    await expect.poll(() => page.getByTestId('database').textContent(), { timeout: 30_000 }).toContain('p-000003.sqlite');
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    expect(await page.getByTestId('column').evaluateAll((els) => els.map((e) => e.getAttribute('data-vendor')))).toEqual(['amd', 'smmuv3']);
    expect(problems).toEqual([]);
  });
});
