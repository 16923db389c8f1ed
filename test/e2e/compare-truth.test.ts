/**
 * The Compare view tells the truth (issue 15), in Chromium against the real web host:
 * - for each preset, the summary strip shows exactly what `compare --json` prints (same rows,
 *   values and texts as the CLI table), including downtime, bitmap-read total, enable cost and
 *   converged/forced, and bytes sent with the stop-and-copy;
 * - a vendor that lost dirty pages is never "cheapest"; "dirty pages lost" is a strip row and
 *   the first explanation line;
 * - ratio badges only on material differences;
 * - rate charts: no bucket above the link speed, the integral equals the total, at full range,
 *   after a zoom and after a jump;
 * - round charts: integer round axes, one round draws a point;
 * - runs line up by round (default for migration runs) or by time;
 * - paging the events of a replay run; a replay result does not outlive its database.
 * Presets run with guest memory scaled down to 1 GiB (same devices, vendors and what-ifs) so
 * the test stays fast; the property under test (strip == CLI) does not depend on the size.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, ROOT, launchChromium, startWebHost, type WebHostProcess } from './harness';
import { formatSummary } from '../../core/cli/format';
import type { ComparisonSummary } from '../../core/scenario/compare';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'wb-truth-'));
const PRESETS = readdirSync(join(ROOT, 'core/scenario/scenarios')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
const REPLAY_FIXTURE = [join(ROOT, 'test/fixtures/intel-vtd-nvme.trace.txt'), join(ROOT, '../shared/fixtures/intel-vtd-nvme.trace.txt')];
const GiB = 2 ** 30;

interface Totals { [k: string]: number | boolean | Record<string, number> }
interface CliVendor { vendor: string; runId: number; totals: Totals; enable?: { ns: number } }
interface CliJson { scenario: string; vendors: CliVendor[]; explanations: string[] }

let host: WebHostProcess;
let browser: Browser;
let page: Page;
const out: Record<string, { db: string; json: CliJson; text: string; linkGbps: number }> = {};

const size = (v: unknown): number => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?$/.exec(String(v));
  const mult: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: GiB, TiB: 2 ** 40 };
  return m ? Number(m[1]) * mult[m[2] ?? 'B'] : NaN;
};

/** The preset with guest memory scaled to 1 GiB and its buffers scaled with it. */
function scaled(name: string): { file: string; linkGbps: number } {
  const s = JSON.parse(readFileSync(join(ROOT, 'core/scenario/scenarios', `${name}.json`), 'utf8'));
  const mem = size(s.guest.memory);
  const f = Math.min(1, GiB / mem);
  s.guest.memory = '1GiB';
  if (s.guest.mappedAfterEnable) s.guest.mappedAfterEnable = Math.max(2 ** 21, Math.floor((size(s.guest.mappedAfterEnable) * f) / 2 ** 21) * 2 ** 21);
  for (const d of s.devices) for (const k of ['regionBytes', 'hotSetBytes']) if (d.workload[k]) d.workload[k] = Math.max(2 ** 21, Math.floor((size(d.workload[k]) * f) / 2 ** 21) * 2 ** 21);
  delete s.$schema;
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(s));
  return { file, linkGbps: s.migration.linkGbps ?? 25 };
}

async function cli(name: string): Promise<void> {
  const { file, linkGbps } = scaled(name);
  const db = join(dir, `${name}.sqlite`);
  const env = { ...process.env, NODE_OPTIONS: '' };
  const j = await run(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', 'compare', file, '--db', db, '--json', '--threads', '1'], { cwd: ROOT, env, maxBuffer: 64 << 20 });
  const json = JSON.parse(j.stdout) as CliJson;
  // The CLI's text table for the same comparison (its own formatter; one engine run per preset keeps the test fast).
  out[name] = { db, json, text: formatSummary(json as unknown as ComparisonSummary, null), linkGbps };
}

async function openDb(path: string): Promise<void> {
  await page.getByRole('button', { name: 'Runs', exact: true }).click();
  await page.getByLabel('Database file').fill(path);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect.poll(() => page.getByTestId('database').textContent(), { timeout: 15_000 }).toContain(path);
  await page.getByTestId('runs-table').waitFor();
}

async function compare(): Promise<void> {
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await page.waitForSelector('[data-testid=compare][data-state=ready]');
  await page.locator('[data-testid=explanations]').waitFor();
  await expect.poll(() => page.locator('dd[data-metric]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
}

const attr = async (testId: string, name: string): Promise<string | null> => page.getByTestId(testId).getAttribute(name);

beforeAll(async () => {
  // Two CLI runs at a time (2 cores).
  const queue = [...PRESETS];
  await Promise.all([0, 1].map(async () => {
    for (let p = queue.shift(); p; p = queue.shift()) await cli(p);
  }));
  host = await startWebHost();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  await page.goto(host.url);
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('Compare tells the truth', () => {
  it('for each preset, the UI strip == CLI --json (every value, and the CLI table text)', async () => {
    expect(PRESETS.length).toBeGreaterThanOrEqual(7);
    for (const name of PRESETS) {
      const { db, json, text } = out[name];
      await openDb(db);
      await compare();
      const ok = json.vendors.filter((v) => v.runId !== null);
      expect(await page.getByTestId('column').evaluateAll((els) => els.map((e) => e.getAttribute('data-vendor')))).toEqual(ok.map((v) => v.vendor));
      for (const v of ok) {
        const strip = page.getByTestId(`summary-${v.runId}`);
        expect(await strip.getAttribute('data-source')).toBe('comparison');
        const cells = await strip.locator('dd[data-metric]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-metric'), e.getAttribute('data-value'), e.getAttribute('data-text')]));
        const byKey = new Map(cells.map(([k, val, t]) => [k, { val, t }]));
        // Every number the CLI prints per vendor, with the same value.
        for (const key of ['rounds', 'dirtyPages', 'missedPages', 'bitmapReadNs', 'pteReads', 'pteWritesAtomic', 'invalidations', 'iotlbMissRate', 'faults', 'bytesSent', 'downtimeNs', 'totalNs']) {
          expect(Number(byKey.get(key)?.val), `${name} ${v.vendor} ${key}`).toBe(v.totals[key]);
        }
        expect(byKey.get('converged')?.val, `${name} converged`).toBe(v.totals.converged ? '1' : '0');
        if (v.enable) expect(Number(byKey.get('enableNs')?.val)).toBe(v.enable.ns);
        // The texts are the CLI table's cells (one row per label, in vendor order).
        for (const [key, { t }] of byKey) {
          const label = await strip.locator(`dd[data-metric="${key}"]`).evaluate((e) => e.previousElementSibling?.textContent?.trim());
          const line = text.split('\n').find((l) => l.trimStart().startsWith(`${label}  `)); // sub-rows (downtime parts) are indented
          expect(line, `${name}: CLI row ${label}`).toBeTruthy();
          expect(line).toContain(t!);
        }
      }
      // The explanation lines are the CLI's, in its order.
      expect(await page.getByTestId('explanations').locator('li').allTextContents()).toEqual(json.explanations);
      if (name === 'nic-rx-16g') await page.screenshot({ path: `${ARTIFACTS}/truth-strip.png`, fullPage: false });
    }
  });

  it('a vendor that lost dirty pages is never cheapest; the loss is a strip row and the first explanation', async () => {
    const { db, json } = out['smmuv3-rfc-v1-what-if'];
    await openDb(db);
    await compare();
    const lossy = json.vendors.find((v) => Number(v.totals.missedPages) > 0)!;
    expect(lossy.vendor).toBe('smmuv3');
    const badges = await page.getByTestId(`summary-${lossy.runId}`).locator('dd[data-metric]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-metric'), e.getAttribute('data-badge')]));
    expect(badges.filter(([, b]) => b === 'cheapest')).toEqual([]);
    expect(badges.find(([k]) => k === 'missedPages')?.[1]).toBe('lost');
    expect(await page.getByTestId(`lost-${lossy.runId}`).textContent()).toContain(Number(lossy.totals.missedPages).toLocaleString('en-US'));
    expect((await page.getByTestId('explanations').locator('li').first().textContent()) ?? '').toMatch(/^Arm SMMUv3 loses dirty pages/);
    await page.screenshot({ path: `${ARTIFACTS}/truth-lost.png` });
  });

  it('shows ratio badges only on material differences', async () => {
    for (const name of PRESETS) {
      const { db } = out[name];
      await openDb(db);
      await compare();
      const rows = await page.locator('dd[data-metric]').evaluateAll((els) => els.map((e) => ({ key: e.getAttribute('data-metric')!, v: Number(e.getAttribute('data-value')), badge: e.getAttribute('data-badge'), run: e.closest('dl')!.getAttribute('data-testid') })));
      const byKey = new Map<string, { v: number; badge: string | null }[]>();
      for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
      for (const [key, cells] of byKey) {
        const vals = cells.map((c) => c.v);
        const lo = Math.min(...vals);
        const hi = Math.max(...vals);
        // No badge unless some value is at least 5 % above another (and not a trivially small gap).
        if (hi - lo === 0 || (lo > 0 && hi / lo < 1.05)) expect(cells.map((c) => c.badge), `${name} ${key}`).toEqual(cells.map(() => ''));
      }
    }
  });

  it('rate charts never exceed the link speed and integrate to the total, at full range, after a zoom and after a jump', async () => {
    const { db, json, linkGbps } = out['nic-rx-16g'];
    await openDb(db);
    await compare();
    await page.getByLabel('by time').check();
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    const linkMiBs = (linkGbps * 1e9) / 8 / 2 ** 20;
    const sql = new Database(db, { readonly: true });
    const sum = (id: number, t0: number, t1: number): number => {
      // The part of each row's value accrued inside [t0, t1) (rows are spread over [ts, ts + dur)).
      const rows = sql.prepare(`SELECT c.ts, c.dur, c.value FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name = 'migration_bytes'`).all(id) as { ts: number; dur: number; value: number }[];
      return rows.reduce((a, r) => (r.dur > 0 ? a + (r.value * Math.max(0, Math.min(t1, r.ts + r.dur) - Math.max(t0, r.ts))) / r.dur : a + (r.ts >= t0 && r.ts < t1 ? r.value : 0)), 0);
    };
    const check = async (label: string): Promise<void> => {
      const [t0, t1] = (await attr('compare', 'data-range'))!.split('-').map(Number);
      for (const v of json.vendors) {
        const cell = `chart-migrate-${v.runId}`;
        const peak = Number(await attr(cell, 'data-peak'));
        expect(peak, `${label}: ${v.vendor} peak ${peak} MiB/s`).toBeLessThanOrEqual(linkMiBs * 1.0001);
        expect(peak).toBeGreaterThan(linkMiBs * 0.5);
        const integral = Number(await attr(cell, 'data-integral'));
        expect(integral / sum(v.runId, t0, t1), `${label}: ${v.vendor} integral`).toBeCloseTo(1, 6);
      }
    };
    // Whole run: the total is every byte sent, the stop-and-copy included.
    for (const v of json.vendors) expect(Number(await attr(`chart-migrate-${v.runId}`, 'data-sum')) / Number(v.totals.bytesSent)).toBeCloseTo(1, 12);
    await check('full range');
    await page.getByRole('heading', { name: 'Compare', level: 2 }).click();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await expect.poll(() => attr('compare', 'data-range')).not.toMatch(/^0-/);
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    await check('zoomed');
    // A jump from the Events view zooms to a narrow window around an event.
    await page.getByRole('button', { name: 'Events', exact: true }).click();
    await page.getByRole('row').nth(5).click();
    await page.getByRole('grid', { name: 'Events' }).press('Enter');
    await page.getByRole('heading', { name: 'Compare', level: 2 }).waitFor();
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    await check('after a jump');
    sql.close();
  });

  it('round charts have integer round axes, and one round draws a point', async () => {
    const { db, json } = out['gpu-bulk-32g'];
    await openDb(db);
    await compare();
    await page.getByLabel('side by side').check();
    for (const v of json.vendors) {
      const chart = page.getByTestId(`chart-rounds-${v.runId}`);
      expect(Number(await chart.getAttribute('data-points'))).toBe(v.totals.rounds);
      // uPlot draws tick labels on the canvas; the chart keeps the labels it drew in data-xticks.
      await expect.poll(() => chart.locator('.chart').getAttribute('data-xticks')).toBeTruthy();
      const ticks = (await chart.locator('.chart').getAttribute('data-xticks'))!.split(',');
      expect(ticks.length).toBeGreaterThan(0);
      for (const t of ticks) expect(Number.isInteger(Number(t)), `tick ${t}`).toBe(true);
      expect(new Set(ticks).size).toBe(ticks.length);
    }
    const one = Object.values(out).find((o) => o.json.vendors.some((v) => v.totals.rounds === 1));
    if (one) {
      await openDb(one.db);
      await compare();
      await page.getByLabel('side by side').check();
      const v = one.json.vendors.find((x) => x.totals.rounds === 1)!;
      expect(Number(await attr(`chart-rounds-${v.runId}`, 'data-points'))).toBe(1);
      expect(await page.getByTestId(`chart-rounds-${v.runId}`).locator('canvas').count()).toBe(1);
    }
    await page.getByLabel('overlay').check();
  });

  it('lines runs up by round by default for migration runs, and by time on request', async () => {
    const { db, json } = out['smmuv3-rfc-v1-what-if'];
    await openDb(db);
    await compare();
    expect(await attr('compare', 'data-align')).toBe('round');
    const maxRounds = Math.max(...json.vendors.map((v) => Number(v.totals.rounds)));
    expect(await page.getByTestId('range').textContent()).toBe(`rounds -1.00 – ${(maxRounds + 1).toFixed(2)}`);
    await page.screenshot({ path: `${ARTIFACTS}/compare-overlay.png`, fullPage: true });
    await page.getByLabel('by time').check();
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    expect(await attr('compare', 'data-align')).toBe('time');
    expect(await page.getByTestId('range').textContent()).toMatch(/ms|s$/);
    await page.getByLabel('by round').check();
  });

  it('pages through the events of a replay run, and drops a replay result when another database opens', async () => {
    const fixture = REPLAY_FIXTURE.find((f) => { try { readFileSync(f, { encoding: 'utf8', flag: 'r' }).slice(0, 1); return true; } catch { return false; } })!;
    const dbPath = join(dir, 'replay.sqlite');
    await page.getByRole('button', { name: 'Runs', exact: true }).click();
    const panel = page.getByRole('region', { name: 'Replay a kernel trace' });
    await panel.getByLabel('Kernel trace (ftrace text)').setInputFiles(fixture);
    await panel.getByLabel('AMD-Vi').uncheck();
    await panel.getByLabel('Arm SMMUv3').uncheck();
    await panel.getByLabel('Database for the runs').fill(dbPath);
    await panel.getByRole('button', { name: 'Start replay' }).click();
    await panel.getByTestId('replay-message').waitFor({ timeout: 120_000 });
    // Events: scroll far enough to load several pages (keyset cursor from the stored ts).
    await page.getByRole('button', { name: 'Events', exact: true }).click();
    await page.getByRole('row').nth(1).waitFor();
    const grid = page.getByRole('grid', { name: 'Events' });
    await grid.focus();
    await expect.poll(async () => {
      await page.keyboard.press('End');
      return Number(await attr('events-count', 'data-rows'));
    }, { timeout: 15_000, interval: 200 }).toBeGreaterThan(1000);
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    // Another database: the replay's result (and its Show in Compare) is gone.
    await openDb(out['nic-rx-16g'].db);
    await expect.poll(() => panel.getByTestId('replay-message').count()).toBe(0);
    expect(await panel.getByRole('button', { name: 'Show in Compare' }).count()).toBe(0);
  });
});
