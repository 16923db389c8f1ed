/**
 * The workbench UI end to end in Chromium (browser mode): open a comparison database, check
 * the Compare charts against direct SQL, zoom (re-query), filter events, read faults, export.
 * Screenshots of each view go to test/e2e/artifacts/. Timings are logged, never asserted.
 */
import { mkdtempSync, readFileSync, existsSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, ROOT, launchChromium, startWebHost, type WebHostProcess } from './harness';
import { writeFixture, type FixtureInfo } from '../unit/ui/fixture';
import { SMALL_SCENARIO } from '../unit/ui/scenarios';

const dir = mkdtempSync(join(tmpdir(), 'wb-e2e-'));
/** A real kernel trace (Linux 6.1 arm64 guest, SMMUv3, NVMe): 12,325 maps and 2,626 unmaps. */
const REPLAY_FIXTURE = join(ROOT, 'test/fixtures/smmuv3-nvme.trace.txt');
let host: WebHostProcess;
let browser: Browser;
let page: Page;
let fx: FixtureInfo;
let sql: Database.Database;
const problems: string[] = [];

function counterSum(runId: number, name: string, t0 = 0, t1 = Number.MAX_SAFE_INTEGER): number {
  const r = sql
    .prepare(`SELECT coalesce(sum(c.value), 0) AS s FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name = ? AND c.ts >= ? AND c.ts < ?`)
    .get(runId, name, t0, t1) as { s: number };
  return r.s;
}

async function view(label: string): Promise<void> {
  await page.getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { name: label, exact: true, level: 2 }).waitFor();
}

/** Wait until a test id's attribute satisfies `ok` (polling; fails after 15 s). */
async function until(testId: string, attr: string, ok: (v: string | null) => boolean): Promise<void> {
  await expect.poll(() => page.getByTestId(testId).getAttribute(attr), { timeout: 15_000, interval: 20 }).toSatisfy(ok);
}

async function ready(): Promise<void> {
  await page.waitForSelector('[data-testid=compare][data-state=ready]');
}

beforeAll(async () => {
  fx = await writeFixture(join(dir, 'compare.sqlite'), { steps: 6000 });
  sql = new Database(fx.path, { readonly: true });
  host = await startWebHost();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    if (m.text().startsWith('[timing]')) console.log(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(host.url);
});
afterAll(async () => {
  sql?.close();
  await browser?.close();
  await host?.stop();
});

describe('workbench UI in browser mode', () => {
  it('opens a database and lists its runs', async () => {
    await page.getByLabel('Database file').fill(fx.path);
    const t = Date.now();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByTestId('runs-table').waitFor();
    await expect.poll(() => page.getByTestId('runs-table').locator('tbody tr').count()).toBe(3);
    await view('Compare');
    await ready();
    console.log(`[timing] open → Compare ready: ${Date.now() - t} ms (fixture, ${fx.events.reduce((a, b) => a + b, 0)} events)`);
    await view('Runs');
    await page.getByRole('button', { name: 'Start comparison' }).waitFor();
    await expect.poll(() => page.getByTestId('run-unavailable').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/runs.png`, fullPage: true });
  });

  it('shows one column per vendor with chart data equal to a direct SQL query', async () => {
    await view('Compare');
    await ready();
    // Absolute simulated time for the zoom tests below (the default for migration runs is by round).
    await page.getByLabel('by time').check();
    await ready();
    const vendors = await page.getByTestId('column').evaluateAll((els) => els.map((e) => e.getAttribute('data-vendor')));
    expect(vendors).toEqual(['amd', 'intel', 'smmuv3']);
    for (const id of fx.runIds) {
      const cell = page.getByTestId(`chart-dirty-${id}`);
      expect(Number(await cell.getAttribute('data-sum'))).toBe(counterSum(id, 'dirty_pages'));
      expect(Number(await cell.getAttribute('data-points'))).toBeGreaterThan(10);
      // Overlay (the default for 2–4 runs): one chart per metric, each run's totals under it.
      expect(await page.getByTestId('chart-dirty-overlay').locator('canvas').count()).toBe(1);
      const faults = await page.getByTestId(`summary-${id}`).locator('[data-metric=faults]').getAttribute('data-value');
      expect(Number(faults)).toBe(counterSum(id, 'faults'));
      const pteW = await page.getByTestId(`chart-pte-${id}`).getAttribute('data-sum');
      expect(Number(pteW)).toBe(counterSum(id, 'pte_read') + counterSum(id, 'pte_write_atomic'));
    }
    // Rounds row: five migration_round events per run.
    expect(Number(await page.getByTestId(`chart-rounds-${fx.runIds[0]}`).getAttribute('data-points'))).toBe(5);
    await page.screenshot({ path: `${ARTIFACTS}/compare.png`, fullPage: true });
  });

  it('re-queries at the new resolution when a chart is zoomed', async () => {
    const before = await page.getByTestId('compare').getAttribute('data-range');
    const over = page.getByTestId('chart-dirty-overlay').locator('.u-over');
    const box = (await over.boundingBox())!;
    const y = box.y + box.height / 2;
    const t = Date.now();
    await page.mouse.move(box.x + box.width * 0.2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, y, { steps: 5 });
    await page.mouse.up();
    await until('compare', 'data-range', (v) => v !== before);
    await ready();
    const ms = await page.getByTestId('compare').getAttribute('data-query-ms');
    console.log(`[timing] zoom re-query → rendered: ${Date.now() - t} ms wall incl. input, ${ms} ms query+render (in page)`);
    const [t0, t1] = (await page.getByTestId('compare').getAttribute('data-range'))!.split('-').map(Number);
    expect(t0).toBeGreaterThan(fx.simEndNs * 0.1);
    expect(t1).toBeLessThan(fx.simEndNs * 0.5);
    for (const id of fx.runIds) {
      expect(Number(await page.getByTestId(`chart-dirty-${id}`).getAttribute('data-sum'))).toBe(counterSum(id, 'dirty_pages', t0, t1));
    }
    await page.screenshot({ path: `${ARTIFACTS}/compare-zoomed.png`, fullPage: true });
    await page.getByRole('button', { name: 'Whole run' }).click();
    await until('compare', 'data-range', (v) => v === before);
  });

  it('zooms and pans with the keyboard, then resets', async () => {
    const before = await page.getByTestId('compare').getAttribute('data-range');
    await page.locator('body').focus();
    await page.keyboard.press('+');
    await until('compare', 'data-range', (v) => v !== before);
    const [a0, a1] = (await page.getByTestId('compare').getAttribute('data-range'))!.split('-').map(Number);
    expect(a1 - a0).toBeLessThan(fx.simEndNs * 0.6);
    await page.keyboard.press(']');
    await until('compare', 'data-range', (v) => Number(v!.split('-')[0]) > a0);
    await page.keyboard.press('0');
    await until('compare', 'data-range', (v) => v === before);
  });

  it('filters events on the host and jumps from an event to Compare', async () => {
    await view('Events');
    await page.getByRole('row').nth(1).waitFor();
    const all = Number(await page.getByTestId('events-count').getAttribute('data-rows'));
    expect(all).toBe(500);
    await page.getByLabel('errno').fill('any');
    await page.getByRole('button', { name: 'Apply' }).click();
    const failed = (sql.prepare('SELECT count(*) AS n FROM slice_data WHERE run_id = ? AND errno > 0').get(fx.runIds[0]) as { n: number }).n;
    await until('events-count', 'data-rows', (v) => v === String(failed));
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(all);
    const names = await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => r.children[3].textContent));
    expect(new Set(names)).toEqual(new Set(['IOMMU_IOAS_MAP']));
    // Device + event name: every row is that device's (sid 2) dma_write.
    await page.getByLabel('errno').fill('');
    await page.getByLabel('Device').fill('2');
    await page.getByTestId('filter-name').selectOption('dma_write');
    await page.getByRole('button', { name: 'Apply' }).click();
    const devRows = (sql.prepare(`SELECT count(*) AS n FROM slice s JOIN args a ON a.arg_set_id = s.id AND a.key = 'sid' WHERE s.run_id = ? AND s.name = 'dma_write' AND a.int_value = 2`).get(fx.runIds[0]) as { n: number }).n;
    await until('events-count', 'data-rows', (v) => v === String(Math.min(500, devRows)));
    const cells = await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => `${r.children[3].textContent}/${r.children[7].textContent}`));
    expect(new Set(cells)).toEqual(new Set(['dma_write/2']));
    await page.getByTestId('event-row').nth(2).click();
    await page.screenshot({ path: `${ARTIFACTS}/events.png`, fullPage: true });
    await page.getByRole('grid', { name: 'Events' }).press('Enter');
    await page.getByRole('heading', { name: 'Compare', level: 2 }).waitFor();
    await ready();
    const [t0, t1] = (await page.getByTestId('compare').getAttribute('data-range'))!.split('-').map(Number);
    expect(t1 - t0).toBeLessThan(fx.simEndNs / 10);
    await page.getByRole('button', { name: 'Whole run' }).click();
  });

  it('shows faults per vendor with a histogram matching the database', async () => {
    await view('Faults');
    for (const [i, id] of fx.runIds.entries()) {
      const col = page.getByTestId(`faults-${id}`);
      await col.getByTestId('fault-total').waitFor();
      expect(Number(await col.getByTestId('fault-total').getAttribute('data-total'))).toBe(fx.faults[i]);
      const counts = await col.locator('.hist li').evaluateAll((li) => li.map((l) => Number(l.getAttribute('data-count'))));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(fx.faults[i]);
      await expect.poll(() => col.getByTestId('page-requests').locator('tbody tr').count()).toBe(60);
    }
    await page.screenshot({ path: `${ARTIFACTS}/faults.png`, fullPage: true });
  });

  it('exports Chrome trace JSON that parses', async () => {
    await view('Runs');
    const out = join(dir, 'export.json');
    await page.getByLabel('Format').selectOption('chrome-json');
    await page.getByLabel('To file').fill(out);
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByTestId('export-result').waitFor();
    expect(await page.getByTestId('export-result').textContent()).toContain('Wrote');
    expect(existsSync(out)).toBe(true);
    const trace = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { ph: string }[] };
    expect(trace.traceEvents.filter((e) => e.ph === 'X').length).toBe(fx.events.reduce((a, b) => a + b, 0));
  });

  it('runs a small scenario from the UI with live per-vendor progress, then compares it', async () => {
    await view('Runs');
    const out = join(dir, 'from-ui.sqlite');
    await page.getByLabel('scenario JSON').check();
    await page.getByLabel(/^Scenario JSON/).fill(SMALL_SCENARIO);
    await page.getByLabel('Into database').fill(out);
    await page.getByRole('button', { name: 'Start comparison' }).click();
    await page.getByTestId('vendor-progress').first().waitFor();
    await page.getByTestId('job-message').waitFor({ timeout: 120_000 });
    await page.screenshot({ path: `${ARTIFACTS}/runs-progress.png`, fullPage: true });
    expect(await page.getByTestId('job-message').textContent()).toContain('Done: runs');
    const bars = await page.getByTestId('vendor-progress').evaluateAll((els) => els.map((e) => [e.querySelector('.vendor')?.textContent, e.getAttribute('data-done'), e.getAttribute('data-total')]));
    expect(bars.map((b) => b[0]).sort()).toEqual(['AMD-Vi', 'Arm SMMUv3', 'Intel VT-d']);
    expect(bars.every((b) => b[1] === b[2] && Number(b[1]) > 0)).toBe(true);
    await page.getByRole('button', { name: 'Show in Compare' }).click();
    await page.getByRole('heading', { name: 'Compare', level: 2 }).waitFor();
    await ready();
    const db = new Database(out, { readonly: true });
    const runs = db.prepare('SELECT id, vendor FROM run ORDER BY id').all() as { id: number; vendor: string }[];
    expect(await page.getByTestId('column').evaluateAll((els) => els.map((e) => e.getAttribute('data-vendor')))).toEqual(runs.map((r) => r.vendor));
    for (const r of runs) {
      const s = (db.prepare(`SELECT sum(c.value) AS s FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name = 'dirty_pages'`).get(r.id) as { s: number }).s;
      expect(Number(await page.getByTestId(`chart-dirty-${r.id}`).getAttribute('data-sum'))).toBe(s);
      expect(Number(await page.getByTestId(`chart-rounds-${r.id}`).getAttribute('data-points'))).toBeGreaterThan(0);
    }
    db.close();
    await expect.poll(() => page.getByTestId('explanations').locator('li').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}/compare-from-ui.png`, fullPage: true });
  });

  it('decodes a known IOVA\'s leaf entry in the page-table view for each vendor', async () => {
    await view('Page table');
    // Architected bit positions (docs/architecture.md "Engine rules"; AMD IOMMU spec PTE, VT-d second-stage PTE, Arm VMSAv8-64 descriptor).
    const BITS: Record<string, Record<string, number>> = {
      amd: { PR: 0, A: 5, D: 6, IR: 61, IW: 62 },
      intel: { R: 0, W: 1, A: 8, D: 9 },
      smmuv3: { Valid: 0, 'AP[2]': 7, AF: 10, DBM: 51 },
    };
    const db = new Database(join(dir, 'from-ui.sqlite'), { readonly: true });
    const ids = Object.fromEntries((db.prepare('SELECT vendor, id FROM run').all() as { vendor: string; id: number }[]).map((r) => [r.vendor, r.id]));
    db.close();
    for (const vendor of ['amd', 'intel', 'smmuv3']) {
      await page.getByLabel('Run').selectOption(String(ids[vendor]));
      await page.getByTestId('pt-info').waitFor({ timeout: 60_000 });
      await expect.poll(() => page.getByTestId('pt-map').locator('.cell.s4k').count()).toBe(256);
      await page.getByLabel('IOVA', { exact: true }).fill('0x1000');
      await page.getByRole('button', { name: 'Walk' }).click();
      const leaf = page.getByTestId('pt-walk').locator('tr[data-kind=OA]');
      await leaf.waitFor();
      const raw = BigInt(`0x${await leaf.getAttribute('data-raw')}`);
      const fields = Object.fromEntries(await leaf.locator('.field').evaluateAll((els) => els.map((e) => [e.getAttribute('data-name'), e.getAttribute('data-value')])));
      for (const [name, bit] of Object.entries(BITS[vendor])) {
        expect(fields[name], `${vendor} ${name}`).toBe(String(((raw >> BigInt(bit)) & 1n) === 1n));
      }
      if (vendor === 'amd') await page.screenshot({ path: `${ARTIFACTS}/pagetable.png`, fullPage: true });
    }
  });

  it('refuses a trace file over the 64 MiB limit before reading it', async () => {
    await view('Runs');
    const panel = page.getByRole('region', { name: 'Replay a kernel trace' });
    const huge = join(dir, 'huge.txt');
    writeFileSync(huge, '');
    truncateSync(huge, 64 * 1024 * 1024 + 1); // sparse: never read, only its size matters
    await panel.getByLabel('Kernel trace (ftrace text)').setInputFiles(huge);
    await expect.poll(() => panel.getByTestId('replay-file-error').textContent()).toMatch(/^huge\.txt is 67,108,865 bytes, over the 64 MiB \(67,108,864 bytes\) a replay accepts/);
    expect(await panel.getByRole('button', { name: 'Start replay' }).isDisabled()).toBe(true);
  });

  it('refuses a garbage trace upload with its malformed line numbers', async () => {
    await view('Runs');
    const panel = page.getByRole('region', { name: 'Replay a kernel trace' });
    await panel.getByLabel('Kernel trace (ftrace text)').setInputFiles({ name: 'garbage.txt', mimeType: 'text/plain', buffer: Buffer.from('not a trace\n\u0000\u0001\n  x-1 [000] ..... 1.5: map: IOMMU: iova=0xzz\n') });
    await panel.getByLabel('Database for the runs').fill(join(dir, 'garbage.sqlite'));
    await panel.getByRole('button', { name: 'Start replay' }).click();
    const err = panel.getByTestId('replay-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.textContent()).toMatch(/^ENODATA: garbage\.txt: no iommu:map or iommu:unmap events in 3 lines; 3 malformed line\(s\): line 1: .*line 3: map: fields do not match/);
    expect(existsSync(join(dir, 'garbage.sqlite'))).toBe(false);
  });

  it('replays a real kernel trace on two vendors from an uploaded file, then compares the runs', async () => {
    await view('Runs');
    const out = join(dir, 'replay-ui.sqlite');
    const panel = page.getByRole('region', { name: 'Replay a kernel trace' });
    await panel.getByLabel('Kernel trace (ftrace text)').setInputFiles(REPLAY_FIXTURE);
    await panel.getByLabel('Intel VT-d').uncheck();
    await panel.getByLabel('non-coherent table walks').check();
    await panel.getByLabel('Database for the runs').fill(out);
    const t = Date.now();
    await panel.getByRole('button', { name: 'Start replay' }).click();
    await panel.getByTestId('replay-message').waitFor({ timeout: 120_000 });
    console.log(`[timing] replay of smmuv3-nvme on 2 vendors from the UI: ${Date.now() - t} ms`);
    expect(await panel.getByTestId('replay-message').textContent()).toMatch(/^Done: runs \d+, \d+ recorded in /);
    expect(await panel.getByTestId('replay-import').textContent()).toContain('14,953 iommu events (12,325 maps, 2,626 unmaps, 0 faults)');
    expect(await panel.getByTestId('replay-import').getAttribute('data-malformed')).toBe('0');
    // Per-vendor progress in events, complete.
    const bars = await panel.getByTestId('replay-vendor-progress').evaluateAll((els) => els.map((e) => [e.querySelector('.vendor')?.textContent, e.getAttribute('data-done'), e.getAttribute('data-total')]));
    expect(bars).toEqual([['AMD-Vi', '14953', '14953'], ['Arm SMMUv3', '14953', '14953']]);
    // One result line per vendor: 12,325 maps, 2,626 unmaps, 0 errors; commands by name; SMMUv3 write-backs.
    const lines = panel.getByTestId('replay-result');
    expect(await lines.evaluateAll((els) => els.map((e) => e.getAttribute('data-vendor')))).toEqual(['amd', 'smmuv3']);
    for (const line of await lines.all()) {
      const text = (await line.textContent()) ?? '';
      expect(text).toContain('12,325 maps');
      expect(text).toContain('2,626 unmaps');
      expect(text).toMatch(/, 0 errors/);
      expect([await line.getAttribute('data-maps'), await line.getAttribute('data-unmaps'), await line.getAttribute('data-errors')]).toEqual(['12325', '2626', '0']);
    }
    expect(await lines.nth(1).textContent()).toMatch(/CMD_TLBI_NH_VA 2,658.*write-backs 14,964 \(27,879 lines/s);
    expect(await lines.nth(0).textContent()).not.toContain('write-backs');
    await page.screenshot({ path: `${ARTIFACTS}/runs-replay.png`, fullPage: true });
    await panel.screenshot({ path: `${ARTIFACTS}/replay-panel.png` });

    const db = new Database(out, { readonly: true });
    const runs = db.prepare('SELECT id, vendor, status, scenario FROM run ORDER BY id').all() as { id: number; vendor: string; status: string; scenario: string }[];
    expect(runs.map((r) => [r.vendor, r.status, JSON.parse(r.scenario).kind])).toEqual([['amd', 'complete', 'replay'], ['smmuv3', 'complete', 'replay']]);
    expect(await lines.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-run'))))).toEqual(runs.map((r) => r.id));
    // The Runs table lists them by trace name.
    await expect.poll(() => page.getByTestId('runs-table').locator('tbody tr').allTextContents()).toEqual(runs.map(() => expect.stringContaining('replay smmuv3-nvme.trace.txt')));

    await panel.getByRole('button', { name: 'Show in Compare' }).click();
    await page.getByRole('heading', { name: 'Compare', level: 2 }).waitFor();
    await ready();
    const cols = page.getByTestId('column');
    expect(await cols.evaluateAll((els) => els.map((e) => e.getAttribute('data-vendor')))).toEqual(['amd', 'smmuv3']);
    for (const [i, r] of runs.entries()) {
      expect(await cols.nth(i).textContent()).toContain(`run #${r.id} · replay smmuv3-nvme.trace.txt`);
      const inv = (db.prepare(`SELECT coalesce(sum(c.value), 0) AS s FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name LIKE 'inv.%'`).get(r.id) as { s: number }).s;
      expect(inv).toBeGreaterThan(2626);
      expect(Number(await page.getByTestId(`chart-inv-${r.id}`).getAttribute('data-sum'))).toBe(inv);
    }
    db.close();
    await page.screenshot({ path: `${ARTIFACTS}/compare-replay.png`, fullPage: true });
  });

  it('logged no errors or warnings in the page', () => {
    expect(problems).toEqual([]);
  });
});
