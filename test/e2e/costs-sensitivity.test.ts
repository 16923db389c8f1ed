/**
 * The Costs and Sensitivity views end to end in Chromium (browser mode, the real web host):
 * - Costs: the table the view shows equals `costs --json` cell for cell (value, class,
 *   source, default of an override, unit, doc; hardware capacities; dirty-read walkers) with
 *   no scenario, with a scenario's costOverrides / capacities / kernel, with a kernel chosen,
 *   and for a preset;
 * - Sensitivity: run as a job with progress; the ranking and every probe (first order and
 *   re-run) equal `sensitivity --json`; cancel stops it.
 * Screenshots go to test/e2e/artifacts/costs.png and sensitivity.png (docs/ui-costs.png,
 * docs/ui-sensitivity.png).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { CostTable, SensitivityReport } from '../../electron/api';
import { ARTIFACTS, ROOT, launchChromium, openHostPage, startWebHost, type WebHostProcess } from './harness';
import { SMALL_SCENARIO } from '../unit/ui/scenarios';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'wb-e2e-costs-'));
/** Two vendors, an override, a capacity and the pre-iommupt kernel. */
const OVERRIDDEN = JSON.stringify({ ...JSON.parse(SMALL_SCENARIO), name: 'ui-overrides', vendors: ['intel', 'smmuv3'], kernel: '6.7-6.18', costOverrides: { pt_walk_level: 4.3, indirect_call: 3 }, walkers: 16 }, null, 2);
const overriddenFile = join(dir, 'overridden.json');
const smallFile = join(dir, 'small.json');

let host: WebHostProcess;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const cliOut: Record<string, unknown> = {};

async function cli(args: string[]): Promise<unknown> {
  const r = await run(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 << 20 });
  return JSON.parse(r.stdout);
}

/** The Costs view's tables read back from the DOM into the shape of `costs --json`. */
async function tableShown(): Promise<CostTable> {
  return page.locator('section.costs').evaluate((root) => {
    type El = NonNullable<ReturnType<typeof root.querySelector>>;
    const txt = (el: El | null): string => (el?.textContent ?? '').trim();
    const walkerRows = [...root.querySelectorAll('[data-testid="walkers-table"] tbody tr')];
    const vendors = walkerRows.map((tr) => tr.getAttribute('data-vendor')!);
    const cell = (tr: El, v: string, valueKey: string, defaultKey: string): Record<string, unknown> => {
      const c: Record<string, unknown> = {
        [valueKey]: Number(txt(tr.querySelector(`[data-vendor="${v}"] [data-field="value"]`))),
        class: txt(tr.querySelector(`[data-vendor="${v}"][data-field="class"] .cls`)),
        source: txt(tr.querySelector(`[data-vendor="${v}"][data-field="source"]`)),
      };
      const d = tr.querySelector(`[data-vendor="${v}"][data-field="class"] [data-field="default"]`);
      if (d) c[defaultKey] = Number(/\(default (.+)\)/.exec(txt(d))![1]);
      return c;
    };
    const rows = (sel: string, key: string, valueKey: string, defaultKey: string): Record<string, unknown>[] =>
      [...root.querySelectorAll(`${sel} tbody tr`)].map((tr) => ({
        [key]: txt(tr.querySelector('td')),
        unit: txt(tr.querySelector('[data-field="unit"]')),
        doc: tr.querySelector('td')!.getAttribute('title'),
        byVendor: Object.fromEntries(vendors.map((v) => [v, cell(tr, v, valueKey, defaultKey)])),
      }));
    return {
      vendors,
      kernel: txt(root.querySelector('[data-testid="costs-kernel-shown"]')),
      costs: rows('[data-testid="cost-table"]', 'action', 'ns', 'defaultNs'),
      hardware: rows('[data-testid="hw-table"]', 'param', 'value', 'defaultValue'),
      walkers: walkerRows.map((tr) => ({
        vendor: tr.getAttribute('data-vendor')!,
        kind: txt(tr.querySelector('[data-field="kind"]')),
        source: txt(tr.querySelector('[data-field="source"]')),
        actions: txt(tr.querySelector('[data-field="actions"]')).split(', '),
      })),
    } as unknown as CostTable;
  });
}

/** Wait until the view shows `vendors` under `kernel`, then read it. */
async function shownWhen(vendors: string[], kernel: string): Promise<CostTable> {
  await expect.poll(async () => { const t = await tableShown(); return `${t.vendors.join()} ${t.kernel}`; }, { timeout: 15_000 }).toBe(`${vendors.join()} ${kernel}`);
  return tableShown();
}

beforeAll(async () => {
  writeFileSync(overriddenFile, OVERRIDDEN);
  writeFileSync(smallFile, SMALL_SCENARIO);
  const [h, ...outs] = await Promise.all([
    startWebHost(),
    cli(['costs', '--json']),
    cli(['costs', '--json', '--scenario', overriddenFile]),
    cli(['costs', '--json', '--scenario', overriddenFile, '--kernel', '6.19']),
    cli(['costs', '--json', '--scenario', 'viommu-nic-rx']),
  ]);
  host = h;
  [cliOut.plain, cliOut.overridden, cliOut.kernel619, cliOut.preset] = outs;
  cliOut.sensitivity = await cli(['sensitivity', smallFile, '--json', '--rerun', '1', '--threads', '1']);
  browser = await launchChromium();
  page = await openHostPage(browser, host, { width: 1500, height: 1000 }, problems);
});
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('Costs view', () => {
  it('shows the cost table of `costs --json` cell for cell: defaults, a scenario with overrides and its kernel, a chosen kernel, a preset', async () => {
    await page.getByRole('button', { name: 'Costs', exact: true }).click();
    await page.getByRole('heading', { name: 'Costs', level: 2 }).waitFor();
    expect(await shownWhen(['amd', 'intel', 'smmuv3'], '6.19')).toEqual(cliOut.plain);

    await page.getByLabel('Scenario', { exact: true }).selectOption('json:');
    await page.getByLabel('Scenario JSON (schema: docs/scenario.schema.json)').fill(OVERRIDDEN);
    const over = await shownWhen(['intel', 'smmuv3'], '6.7-6.18');
    expect(over).toEqual(cliOut.overridden);
    // The overrides are marked as such in the page, with the default beside them.
    const walk = page.locator('[data-testid="cost-table"] tr[data-action="pt_walk_level"] [data-vendor="intel"][data-field="class"]');
    await expect.poll(() => walk.textContent()).toBe('override (default 8.6)');
    // pre-iommupt VT-d re-walks from the root: pt_walk_level is marked as a walker row.
    expect(await page.locator('[data-testid="cost-table"] tr[data-action="pt_walk_level"] td.walker[data-vendor="intel"]').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'costs.png'), fullPage: false });

    await page.getByLabel('Kernel').selectOption('6.19');
    expect(await shownWhen(['intel', 'smmuv3'], '6.19')).toEqual(cliOut.kernel619);
    expect(await page.locator('[data-testid="cost-table"] tr[data-action="pt_walk_level"] td.walker[data-vendor="intel"]').count()).toBe(0);

    await page.getByLabel('Kernel').selectOption('');
    await page.getByLabel('Scenario', { exact: true }).selectOption('viommu-nic-rx');
    const preset = cliOut.preset as CostTable;
    await expect.poll(async () => JSON.stringify(await tableShown()), { timeout: 15_000 }).toBe(JSON.stringify(preset));

    await page.getByLabel('Scenario', { exact: true }).selectOption('json:');
    await page.getByLabel('Scenario JSON (schema: docs/scenario.schema.json)').fill('{"name": 1}');
    await expect.poll(() => page.getByTestId('costs-error').textContent(), { timeout: 15_000 }).toMatch(/^EINVAL: /);
    expect(problems).toEqual([]);
  });
});

describe('Sensitivity view', () => {
  it('runs the analysis as a job with progress; ranking and every probe equal `sensitivity --json`', async () => {
    const want = cliOut.sensitivity as SensitivityReport;
    await page.getByRole('button', { name: 'Sensitivity', exact: true }).click();
    await page.getByRole('heading', { name: 'Sensitivity', level: 2 }).waitFor();
    await page.getByLabel('Scenario', { exact: true }).selectOption('json:');
    await page.getByLabel('Scenario JSON (schema: docs/scenario.schema.json)').fill(SMALL_SCENARIO);
    await page.getByRole('spinbutton', { name: 'Re-runs' }).fill('1');
    await page.getByRole('button', { name: 'Run sensitivity' }).click();
    await expect.poll(() => page.getByTestId('sens-progress-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('sens-message').textContent(), { timeout: 120_000 }).toContain(`Scenario ${want.scenario}`);
    // Every label reached its total: the three vendors' rounds and the one re-run.
    const rows = await page.getByTestId('sens-progress-row').evaluateAll((els) => els.map((e) => [e.querySelector('.vendor')!.textContent, e.getAttribute('data-done'), e.getAttribute('data-total')]));
    expect(rows.map((r) => r[0]).sort()).toEqual(['AMD-Vi', 'Arm SMMUv3', 'Intel VT-d', 're-runs']);
    expect(rows.every((r) => r[1] === r[2])).toBe(true);
    expect(rows.find((r) => r[0] === 're-runs')![2]).toBe('1');

    for (const m of ['migrationNs', 'bitmapReadNs'] as const) {
      expect(await page.getByTestId(`sens-${m}`).getByTestId('sens-ranking').getAttribute('data-ranking')).toBe(want.ranking[m].join(','));
    }
    await page.getByLabel(/show every probe/).check();
    const shown = await page.getByTestId('sens-probe').evaluateAll((els) =>
      els.map((e) => ({
        metric: e.closest('.metric')!.getAttribute('data-testid')!.slice(5),
        vendor: e.getAttribute('data-vendor'),
        action: e.getAttribute('data-action'),
        scale: Number(e.getAttribute('data-scale')),
        ns: Number(e.getAttribute('data-ns')),
        base: Number(e.getAttribute('data-base')),
        firstOrder: Number(e.getAttribute('data-first-order')),
        closeness: Number(e.getAttribute('data-closeness')),
        flipsFirstOrder: e.getAttribute('data-flips-first-order') === 'true',
        rerun: e.getAttribute('data-rerun') === '' ? null : Number(e.getAttribute('data-rerun')),
        rerunFlips: e.getAttribute('data-rerun-flips') === '' ? null : e.getAttribute('data-rerun-flips') === 'true',
      })),
    );
    const key = (p: { metric: string; vendor: string | null; action: string | null; scale: number }): string => `${p.metric}/${p.vendor}/${p.action}/${p.scale}`;
    const expected = want.probes.map((p) => ({ metric: p.metric, vendor: p.vendor, action: p.action, scale: p.scale, ns: p.ns, base: p.base, firstOrder: p.firstOrder, closeness: p.closeness, flipsFirstOrder: p.flipsFirstOrder, rerun: p.rerun ? p.rerun.value : null, rerunFlips: p.rerun ? p.rerun.flips : null }));
    expect(shown.length).toBe(expected.length);
    expect(shown.length).toBeGreaterThan(0);
    expect(new Map(shown.map((p) => [key(p), p]))).toEqual(new Map(expected.map((p) => [key(p), p])));
    expect(expected.filter((p) => p.rerun !== null).length).toBeGreaterThan(0);
    // The closest probes come first (what the lines and re-runs take).
    const firstMig = shown.filter((p) => p.metric === 'migrationNs').map((p) => p.closeness);
    expect(firstMig).toEqual([...firstMig].sort((a, b) => b - a));
    expect(await page.getByTestId('sens-lines').locator('li').first().textContent()).toMatch(/^migration time \(enable to switch-over\): .+ at the defaults\.$/);
    await page.getByLabel(/show every probe/).uncheck();
    await page.screenshot({ path: join(ARTIFACTS, 'sensitivity.png'), fullPage: false });
    expect(problems).toEqual([]);
  });

  it('cancel stops a running analysis', async () => {
    await page.getByRole('spinbutton', { name: 'Re-runs' }).fill('3');
    await page.getByRole('button', { name: 'Run sensitivity' }).click();
    await expect.poll(() => page.getByTestId('sens-progress-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByTestId('sens-message').textContent(), { timeout: 60_000 }).toBe('Cancelled.');
    expect(problems).toEqual([]);
  });
});
