/**
 * Screenshot of the Sweep view for the docs: `npx tsx test/bench/sweep-plot.ts DIR OUT.png
 * [x] [metric] [axis=value ...]` opens the sweep result DIR in browser mode (needs
 * `npx electron-vite build`), picks x, the metric and the fixed axes, and saves the page.
 * docs/sweep-dirty-cost-vs-guest-size.png is made with:
 *   npx tsx test/bench/sweep-plot.ts SW docs/sweep-dirty-cost-vs-guest-size.png guest.memory "bitmap-read time" guest.pagePolicy=4k
 */
import { launchChromium, startWebHost } from '../e2e/harness';

const [dir, out, x = 'guest.memory', metric = 'bitmap-read time', ...fixed] = process.argv.slice(2);
if (!dir || !out) {
  console.error('usage: sweep-plot.ts DIR OUT.png [x] [metric label] [axis=value ...]');
  process.exit(2);
}
const host = await startWebHost();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 760 } });
  await page.goto(host.url);
  await page.getByRole('button', { name: 'Sweep', exact: true }).click();
  await page.getByLabel('Sweep result').fill(dir);
  await page.getByRole('button', { name: 'Open sweep' }).click();
  await page.getByTestId('sweep-chart').waitFor({ timeout: 120_000 });
  await page.getByLabel('x axis').selectOption(x);
  await page.getByLabel('y metric').selectOption({ label: metric });
  for (const f of fixed) {
    const [axis, value] = f.split('=');
    await page.getByLabel(axis, { exact: true }).selectOption(value);
  }
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await host.stop();
}
