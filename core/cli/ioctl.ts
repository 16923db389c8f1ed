/**
 * `ioctl <script>`: run a JSON / JSON-lines list of iommufd ioctls (core/iommufd/script.ts)
 * on a fresh ctx of one vendor model and print each call's result and errno. Exits 1 when
 * an expectation fails, 2 on a malformed script.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runIoctlScript } from '../iommufd/script';
import { VENDOR_NAMES, type VendorName } from '../iommu/registry';

const VENDORS: readonly VendorName[] = VENDOR_NAMES;

export function registerIoctl(program: Command): void {
  program
    .command('ioctl')
    .description('run a script of iommufd ioctls (JSON or JSON lines) against a vendor model')
    .argument('<script>', 'script file, e.g. core/iommufd/examples/dirty-tracking.json')
    .option('--vendor <v>', `${VENDORS.join(' | ')} (default: the script's, else mock)`)
    .option('--json', 'print every call result as JSON')
    .action((file: string, o: { vendor?: string; json?: boolean }) => {
      if (o.vendor && !VENDORS.includes(o.vendor as VendorName)) {
        console.error(`error: bad --vendor ${o.vendor} (${VENDORS.join(' | ')})`);
        process.exitCode = 2;
        return;
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        console.error(`error: cannot read ${file}: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const r = runIoctlScript(text, { vendor: o.vendor as VendorName | undefined });
      if ('errno' in r) {
        console.error(`error: ${file}: ${r.errno}: ${r.message}`);
        process.exitCode = 2;
        return;
      }
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else {
        for (const c of r.results) {
          const res = c.ok ? 'OK' : c.errno;
          const mark = c.expectation === 'fail' ? '  FAILED: ' + c.failures.join('; ') : '';
          const extra = c.popcount !== undefined ? ` dirty=${c.popcount}` : '';
          console.log(`${String(c.index).padStart(3)} ${c.ioctl}${c.op !== undefined ? `(${c.op})` : ''} -> ${res}${extra}${mark}`);
        }
        console.log(`${r.vendor}: ${r.results.length} calls, ${r.failedExpectations} failed expectations`);
      }
      process.exitCode = r.passed ? 0 : 1;
    });
}
