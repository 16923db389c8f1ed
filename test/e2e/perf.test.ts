/**
 * Opt-in measurement (WB_PERF=1): a 10 M-event comparison database (3 runs × ~3.3 M events,
 * written once with the store writer and cached in test/e2e/artifacts/), opened from the UI.
 * Logs the time from "Open" to a rendered Compare view and of a zoom re-query; asserts only
 * that the charts show the database's data, never timings.
 */
import { existsSync, mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, launchChromium, startWebHost, type WebHostProcess } from './harness';
import { writeFixture } from '../unit/ui/fixture';

const PATH = `${ARTIFACTS}/perf-10m.sqlite`;
// Excluded from `npm test` by vitest.config.ts unless WB_PERF=1.
describe('10 M-event database (WB_PERF=1)', () => {
  let host: WebHostProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // test/e2e/artifacts/ is not in git: a fresh checkout has no such directory yet.
    mkdirSync(ARTIFACTS, { recursive: true });
    if (!existsSync(PATH)) {
      const t = Date.now();
      const fx = await writeFixture(PATH, { steps: 1_100_000, stepNs: 5_000, rounds: 20 });
      console.log(`[timing] wrote ${fx.events.reduce((a, b) => a + b, 0)} events in ${Date.now() - t} ms`);
    }
    host = await startWebHost();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    page.on('console', (m) => m.text().startsWith('[timing]') && console.log(m.text()));
    await page.goto(host.url);
  }, 1_800_000);
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('opens and shows Compare, then zooms', async () => {
    const db = new Database(PATH, { readonly: true });
    const events = (db.prepare('SELECT count(*) AS n FROM slice_data').get() as { n: number }).n;
    const runs = db.prepare('SELECT id FROM run ORDER BY id').all() as { id: number }[];
    const sum = (id: number, t0 = 0, t1 = Number.MAX_SAFE_INTEGER): number =>
      (db.prepare(`SELECT sum(c.value) AS s FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name = 'dirty_pages' AND c.ts >= ? AND c.ts < ?`).get(id, t0, t1) as { s: number }).s;
    expect(events).toBeGreaterThanOrEqual(10_000_000);
    await page.getByLabel('Database file').fill(PATH);
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByTestId('runs-table').waitFor();
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.waitForSelector('[data-testid=compare][data-state=ready]', { timeout: 60_000 });
    console.log(`[timing] 10M events (${events}): Open → Compare rendered ${Date.now() - t0} ms`);
    // Absolute time for the zoom below (migration runs default to "align by round").
    await page.getByLabel('by time').check();
    await page.waitForSelector('[data-testid=compare][data-state=ready]', { timeout: 60_000 });
    for (const r of runs) expect(Number(await page.getByTestId(`chart-dirty-${r.id}`).getAttribute('data-sum'))).toBe(sum(r.id));
    await page.screenshot({ path: `${ARTIFACTS}/perf-compare.png` });

    const before = await page.getByTestId('compare').getAttribute('data-range');
    const box = (await page.getByTestId('chart-dirty-overlay').locator('.u-over').boundingBox())!;
    const t1 = Date.now();
    await page.mouse.move(box.x + box.width * 0.3, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.35, box.y + 20, { steps: 3 });
    await page.mouse.up();
    await expect.poll(() => page.getByTestId('compare').getAttribute('data-range'), { interval: 10 }).not.toBe(before);
    await page.waitForSelector('[data-testid=compare][data-state=ready]');
    const ms = await page.getByTestId('compare').getAttribute('data-query-ms');
    console.log(`[timing] 10M events: zoom → re-rendered ${Date.now() - t1} ms wall (incl. mouse input), ${ms} ms query+render in page`);
    const [a, b] = (await page.getByTestId('compare').getAttribute('data-range'))!.split('-').map(Number);
    for (const r of runs) expect(Number(await page.getByTestId(`chart-dirty-${r.id}`).getAttribute('data-sum'))).toBe(sum(r.id, a, b));
    db.close();
  }, 300_000);
});
