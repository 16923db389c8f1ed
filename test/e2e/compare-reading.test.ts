/**
 * Reading a comparison (issue 15), in Chromium against the real web host, on a real recorded
 * comparison (the SMMUv3 RFC v1 what-if with guest memory scaled to 1 GiB):
 * vendor colours from the registry, the overlay, the run-vs-run diff, latency histograms, the
 * time breakdown bars, the nested timeline of a round (click → Events), and the URL that
 * restores the view. Screenshots go to test/e2e/artifacts/ (docs/ui-*.png are copied from them).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, ROOT, launchChromium, openHostPage, openInCompare, startWebHost, type WebHostProcess } from './harness';
import { VENDOR_ENTRIES } from '../../core/iommu/registry';

const dir = mkdtempSync(join(tmpdir(), 'wb-reading-'));
const DB = join(dir, 'rfc.sqlite');
interface CliVendor { vendor: string; runId: number; totals: Record<string, number | boolean> }
let json: { vendors: CliVendor[] };
let host: WebHostProcess;
let browser: Browser;
let page: Page;
let sql: Database.Database;

const hexToRgb = (h: string): string => `rgb(${parseInt(h.slice(1, 3), 16)}, ${parseInt(h.slice(3, 5), 16)}, ${parseInt(h.slice(5, 7), 16)})`;

beforeAll(async () => {
  const s = JSON.parse(readFileSync(join(ROOT, 'core/scenario/scenarios/smmuv3-rfc-v1-what-if.json'), 'utf8'));
  delete s.$schema;
  s.guest.memory = '1GiB';
  s.guest.mappedAfterEnable = '256MiB';
  writeFileSync(join(dir, 'rfc.json'), JSON.stringify(s));
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', 'compare', join(dir, 'rfc.json'), '--db', DB, '--json'], { cwd: ROOT, maxBuffer: 64 << 20 });
  json = JSON.parse(r.stdout);
  sql = new Database(DB, { readonly: true });
  host = await startWebHost();
  browser = await launchChromium();
  page = await openHostPage(browser, host, { width: 1500, height: 1100 });
  await openInCompare(page, DB);
}, 300_000);
afterAll(async () => {
  sql?.close();
  await browser?.close();
  await host?.stop();
});

describe('reading a comparison', () => {
  it('gives each vendor its registry colour and overlays the vendors on one chart per metric', async () => {
    expect(await page.getByTestId('compare').getAttribute('data-layout')).toBe('overlay');
    // The header's left border is the vendor's colour (inline style from EngineInfo.vendors).
    const heads = await page.getByTestId('column').evaluateAll((els) => els.map((e) => [e.getAttribute('data-vendor'), (e as unknown as { style: { borderLeftColor: string; borderColor: string } }).style.borderColor]));
    for (const [vendor, color] of heads) expect(color).toBe(hexToRgb(VENDOR_ENTRIES.find((v) => v.name === vendor)!.color));
    expect(await page.getByTestId('chart-dirty-overlay').locator('canvas').count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}/ui-compare-overlay.png`, fullPage: false });
  });

  it('breaks migration time and downtime into parts that add up', async () => {
    for (const v of json.vendors) {
      const bar = page.getByTestId(`breakdown-${v.runId}`);
      expect(Number(await bar.getAttribute('data-total'))).toBe(v.totals.totalNs);
      const parts = await bar.locator('[data-part]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ns'))));
      expect(parts.reduce((a, b) => a + b, 0)).toBe(v.totals.totalNs);
      const down = await page.getByTestId(`downtime-${v.runId}`).locator('[data-part]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ns'))));
      expect(down.reduce((a, b) => a + b, 0)).toBe(v.totals.downtimeNs);
    }
  });

  it('shows per-operation latency histograms matching the recorded slices', async () => {
    // The histograms load when their section is on screen.
    await page.getByTestId('latency').scrollIntoViewIfNeeded();
    await page.getByTestId('latency').and(page.locator('[data-state=ready]')).waitFor();
    for (const v of json.vendors) {
      const n = (sql.prepare(`SELECT count(*) AS n FROM slice WHERE run_id = ? AND name = 'IOMMU_HWPT_GET_DIRTY_BITMAP'`).get(v.runId) as { n: number }).n;
      expect(n).toBeGreaterThan(0);
      expect(Number(await page.getByTestId(`latency-bitmap-${v.runId}`).getAttribute('data-count'))).toBe(n);
      const max = (sql.prepare(`SELECT max(dur) AS d FROM slice WHERE run_id = ? AND name = 'IOMMU_HWPT_GET_DIRTY_BITMAP'`).get(v.runId) as { d: number }).d;
      expect(Number(await page.getByTestId(`latency-bitmap-${v.runId}`).getAttribute('data-max'))).toBe(max);
    }
    await page.getByTestId('latency').screenshot({ path: `${ARTIFACTS}/ui-latency.png` });
  });

  it('draws the nested timeline of a round and opens a slice in the Events table', async () => {
    const tl = page.getByTestId('timeline');
    await expect.poll(() => tl.getAttribute('data-state')).toBe('ready');
    const run = json.vendors[0].runId;
    const round = sql.prepare(`SELECT ts, dur FROM slice WHERE run_id = ? AND name = 'migration_round' ORDER BY ts LIMIT 1`).get(run) as { ts: number; dur: number };
    const n = (sql.prepare('SELECT count(*) AS n FROM slice WHERE run_id = ? AND ts >= ? AND ts < ?').get(run, round.ts, round.ts + round.dur) as { n: number }).n;
    expect(Number(await tl.getAttribute('data-slices'))).toBe(Math.min(n, 1000));
    const names = new Set(await tl.getByTestId('timeline-slice').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))));
    expect(names.has('migration_round')).toBe(true);
    expect(names.has('IOMMU_HWPT_GET_DIRTY_BITMAP')).toBe(true);
    await tl.screenshot({ path: `${ARTIFACTS}/ui-timeline.png` });
    await tl.locator('[data-name=IOMMU_HWPT_GET_DIRTY_BITMAP]').first().dispatchEvent('click');
    await page.getByRole('heading', { name: 'Events', level: 2 }).waitFor();
    // The table starts at the slice's time (the ioctl's slice is recorded after its nested driver steps at the same ns).
    await expect.poll(async () => (await page.getByTestId('event-row').allTextContents()).slice(0, 20).join(' ')).toContain('IOMMU_HWPT_GET_DIRTY_BITMAP');
  });

  it('diffs two runs: delta columns and overlaid series', async () => {
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const [a, , c] = json.vendors;
    await page.getByLabel(`#${json.vendors[1].runId} `, { exact: false }).uncheck();
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    for (const key of ['bytesSent', 'missedPages', 'downtimeNs', 'dirtyPages']) {
      expect(Number(await diff.locator(`tr[data-metric=${key}]`).getAttribute('data-delta'))).toBe(Number(c.totals[key]) - Number(a.totals[key]));
    }
    expect(await page.getByTestId('chart-migrate-overlay').locator('canvas').count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}/ui-diff.png`, fullPage: false });
  });

  it('keeps view, runs, alignment and zoom in the URL and restores them', async () => {
    await page.getByLabel('side by side').check();
    await page.getByLabel('by time').check();
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    await page.getByRole('heading', { name: 'Compare', level: 2 }).click();
    await page.keyboard.press('+');
    await expect.poll(() => page.getByTestId('compare').getAttribute('data-range')).not.toMatch(/^0-/);
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    const range = await page.getByTestId('compare').getAttribute('data-range');
    const url = page.url();
    expect(url).toContain('#view=compare');
    const other = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await other.goto(url);
    await other.waitForSelector('[data-testid=compare][data-state=ready]');
    expect(await other.getByTestId('compare').getAttribute('data-layout')).toBe('columns');
    expect(await other.getByTestId('compare').getAttribute('data-align')).toBe('time');
    await expect.poll(() => other.getByTestId('compare').getAttribute('data-range')).toBe(range);
    expect(await other.getByTestId('column').count()).toBe(2);
    await other.close();
  });
});
