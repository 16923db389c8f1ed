/**
 * The Faults view and the page-table round picker (issue 15).
 *
 * Faults: a comparison whose devices fault, the iopf-on-demand-4g
 * preset scaled to a 512 MiB guest, recorded by the CLI. VT-d delivers page requests to the
 * VMM's fault queue and every one gets a SUCCESS response; AMD-Vi and SMMUv3 do not enable
 * PRI for the device, so they show unrecoverable faults of their own architected types
 * and no page requests. Every number is checked against the database. The screenshot goes
 * to test/e2e/artifacts/ui-faults.png (docs/ui-faults.png is copied from it).
 *
 * Page table: on the same runs, the dirty state right before round k's read (a snapshot of
 * the rebuilt table) holds as many dirty pages as the recorded round k reported, for every
 * round of every vendor, and the map's dirty cells change with the round.
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

const dir = mkdtempSync(join(tmpdir(), 'wb-faults-'));
const DB = join(dir, 'iopf.sqlite');
interface CliVendor { vendor: string; runId: number; totals: Record<string, number | boolean> }
let json: { vendors: CliVendor[] };
let host: WebHostProcess;
let browser: Browser;
let page: Page;
let sql: Database.Database;

/** Recorded events of `runId` whose names are in `names`. */
const count = (runId: number, names: string[]): number =>
  (sql.prepare(`SELECT count(*) AS n FROM slice_data s JOIN event_name n ON n.id = s.name_id WHERE s.run_id = ? AND n.name IN (${names.map(() => '?').join(',')})`).get(runId, ...names) as { n: number }).n;

beforeAll(async () => {
  const s = JSON.parse(readFileSync(join(ROOT, 'core/scenario/scenarios/iopf-on-demand-4g.json'), 'utf8'));
  delete s.$schema;
  s.guest.memory = '512MiB';
  s.guest.mappedOnFault = '64MiB';
  s.devices[0].workload.hotSetBytes = '512MiB';
  s.migration.downtimeMs = 1; // a few pre-copy rounds for the round picker
  writeFileSync(join(dir, 'iopf.json'), JSON.stringify(s));
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', 'compare', join(dir, 'iopf.json'), '--db', DB, '--json'], { cwd: ROOT, maxBuffer: 64 << 20 });
  json = JSON.parse(r.stdout);
  sql = new Database(DB, { readonly: true });
  host = await startWebHost();
  browser = await launchChromium();
  page = await openHostPage(browser, host, { width: 1500, height: 1000 });
  await openInCompare(page, DB);
  await page.getByRole('button', { name: 'Faults', exact: true }).click();
}, 300_000);
afterAll(async () => {
  sql?.close();
  await browser?.close();
  await host?.stop();
});

describe('Faults view with page requests (memory mapped on fault)', () => {
  it('shows VT-d page requests, each answered SUCCESS, and no faults', async () => {
    const intel = json.vendors.find((v) => v.vendor === 'intel')!;
    const col = page.getByTestId(`faults-${intel.runId}`);
    const head = col.getByTestId('page-request-count');
    await head.waitFor();
    const requests = count(intel.runId, ['page_request']);
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBe(intel.totals.pageRequests);
    expect(Number(await head.getAttribute('data-count'))).toBe(requests);
    expect(Number(await head.getAttribute('data-open'))).toBe(0);
    expect(count(intel.runId, ['page_response'])).toBe(requests);
    const rows = col.getByTestId('page-requests').locator('tbody tr');
    expect(await rows.count()).toBe(Math.min(500, requests));
    expect(await rows.first().locator('td').nth(5).textContent()).toBe('SUCCESS');
    expect(Number(await col.getByTestId('fault-total').getAttribute('data-total'))).toBe(0);
  });

  it('shows AMD-Vi IO_PAGE_FAULT and SMMUv3 F_TRANSLATION records and no page requests', async () => {
    for (const [vendor, type] of [['amd', 'IO_PAGE_FAULT'], ['smmuv3', 'F_TRANSLATION']] as const) {
      const v = json.vendors.find((x) => x.vendor === vendor)!;
      const col = page.getByTestId(`faults-${v.runId}`);
      await col.getByTestId('fault-total').waitFor();
      const total = count(v.runId, [type]);
      expect(total).toBeGreaterThan(0);
      expect(total).toBe(v.totals.faults);
      expect(Number(await col.getByTestId('fault-total').getAttribute('data-total'))).toBe(total);
      const hist = await col.locator('.hist li').evaluateAll((els) => els.map((e) => [e.getAttribute('data-type'), Number(e.getAttribute('data-count'))] as const));
      expect(hist.every(([t]) => t!.startsWith(type))).toBe(true);
      expect(hist.reduce((a, [, n]) => a + n, 0)).toBe(total);
      expect(Number(await col.getByTestId('page-request-count').getAttribute('data-count'))).toBe(0);
    }
    await page.screenshot({ path: `${ARTIFACTS}/ui-faults.png`, fullPage: false });
  });
});

describe('Page table: dirty state at a chosen round', () => {
  it('the dirty pages before round k equal what the engine reported for round k, on every vendor', async () => {
    await page.getByRole('button', { name: 'Page table', exact: true }).click();
    for (const v of json.vendors) {
      const recorded = (sql.prepare(`SELECT a.int_value AS n FROM slice_data s JOIN event_name e ON e.id = s.name_id JOIN args a ON a.arg_set_id = s.id AND a.key = 'dirty_pages' WHERE s.run_id = ? AND e.name = 'migration_round' ORDER BY s.ts`).all(v.runId) as { n: number }[]).map((r) => r.n);
      expect(recorded.length).toBeGreaterThan(1);
      await page.getByTestId('pt-run').selectOption(String(v.runId));
      const picker = page.getByTestId('pt-round');
      await picker.waitFor();
      expect(await picker.locator('option').count()).toBe(recorded.length + 1);
      const dirtyCells: number[] = [];
      for (let k = 0; k < recorded.length; k++) {
        await picker.selectOption(String(k));
        const info = page.getByTestId('pt-round-info');
        await page.waitForSelector(`[data-testid=pt-round-info][data-round="${k}"]`);
        expect(Number(await info.getAttribute('data-dirty')), `${v.vendor} round ${k}`).toBe(recorded[k]);
        await page.getByTestId('pt-map').waitFor();
        dirtyCells.push(await page.getByTestId('pt-map').locator('.cell.dirty').count());
      }
      // Round 0 reads a whole-guest transfer's worth of writes, the last round far fewer.
      expect(dirtyCells[0]).toBeGreaterThan(dirtyCells[dirtyCells.length - 1]!);
      if (v.vendor === 'intel') await page.screenshot({ path: `${ARTIFACTS}/ui-pagetable-round.png`, fullPage: false });
      await picker.selectOption('');
      await page.waitForSelector('[data-testid=pt-info]:has-text("end of run")');
    }
  });
});
