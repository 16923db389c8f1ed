import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ConsoleMessage } from 'playwright-core';
import { ARTIFACTS, launchChromium, startWebHost, type WebHostProcess } from './harness';

describe('browser mode: web host + renderer frame', () => {
  let host: WebHostProcess;
  let browser: Browser;

  beforeAll(async () => {
    host = await startWebHost();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('refuses requests without the token', async () => {
    const page = await fetch(`${host.origin}/`);
    expect(page.status).toBe(401);
    const asset = await fetch(`${host.origin}/index.html?token=0000`);
    expect(asset.status).toBe(401);
  });

  it('shows real engine info in the status bar and switches views', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(host.url);
    const info = page.getByTestId('engine-info');
    await info.waitFor();
    const text = await info.textContent();
    expect(text).toContain(`Node ${process.versions.node.split('.')[0]}`);
    expect(text).toMatch(/SQLite 3\.\d+\.\d+/);
    expect(text).toContain('browser mode');
    expect(await page.getByTestId('vendors').textContent()).toContain('AMD-Vi');
    for (const label of ['Compare', 'Page table', 'Events', 'Faults', 'Runs']) {
      await page.getByRole('button', { name: label, exact: true }).click();
      await page.getByRole('heading', { name: label, exact: true }).waitFor();
    }
    await page.screenshot({ path: `${ARTIFACTS}/foundation-runs.png` });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('opens a database through the API and reports a missing file as ENOENT', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    await page.getByLabel('Database file').fill('/nonexistent/dir/x.sqlite');
    await page.getByRole('button', { name: 'Open' }).click();
    expect(await page.getByTestId('open-error').textContent()).toContain('ENOENT');
    await page.close();
  });
});
