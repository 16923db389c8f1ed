/**
 * `ioctl <script>`: run a JSON / JSON-lines list of iommufd ioctls (core/iommufd/script.ts)
 * on a fresh ctx of one vendor model and print each call's result and errno. Exits 1 when
 * an expectation fails, 2 on a malformed script or when a call needs more pinned memory than
 * this machine can simulate (the simulated process's RLIMIT_MEMLOCK, from 80 % of physical
 * memory; --ignore-limits lifts it).
 */
import type { Command } from 'commander';
import { formatBytes } from '../base/units';
import { ESTIMATE_MEMORY } from '../scenario/estimate';
import { machineLimits } from '../run/machine-limits';
import { readInputFile } from './input-file';
import { runIoctlScript } from '../iommufd/script';
import { VENDOR_NAMES, type VendorName } from '../iommu/registry';

const VENDORS: readonly VendorName[] = VENDOR_NAMES;

/** Largest script file read, bytes (the examples are a few KiB). */
export const MAX_SCRIPT_BYTES = 16 * 1024 * 1024;

/**
 * RLIMIT_MEMLOCK for scripts, bytes: as many 4 KiB pages as this machine holds at the
 * simulator's cost per pinned and mapped page (pin arrays + leaf IOPTE, core/scenario/estimate.ts).
 */
function memlockBytes(): number {
  const perPage = ESTIMATE_MEMORY.bytesPerPage + ESTIMATE_MEMORY.bytesPerLeaf;
  return Math.floor((machineLimits(1).memoryBytes - ESTIMATE_MEMORY.baseBytes) / perPage) * 4096;
}

export function registerIoctl(program: Command): void {
  program
    .command('ioctl')
    .description('run a script of iommufd ioctls (JSON or JSON lines) against a vendor model')
    .argument('<script>', 'script file, e.g. core/iommufd/examples/dirty-tracking.json')
    .option('--vendor <v>', `${VENDORS.join(' | ')} (default: the script's, else mock)`)
    .option('--json', 'print every call result as JSON')
    .option('--ignore-limits', "no RLIMIT_MEMLOCK: let calls pin more than this machine can simulate")
    .action((file: string, o: { vendor?: string; json?: boolean; ignoreLimits?: boolean }) => {
      if (o.vendor && !VENDORS.includes(o.vendor as VendorName)) {
        console.error(`error: bad --vendor ${o.vendor} (${VENDORS.join(' | ')})`);
        process.exitCode = 2;
        return;
      }
      const text = readInputFile(file, 'ioctl script', MAX_SCRIPT_BYTES);
      if (!text.ok) {
        console.error(`error: ${text.message}`);
        process.exitCode = 2;
        return;
      }
      const limit = o.ignoreLimits ? undefined : memlockBytes();
      const r = runIoctlScript(text.text, { vendor: o.vendor as VendorName | undefined, memlockBytes: limit });
      if ('errno' in r) {
        console.error(`error: ${file}: ${r.errno}: ${r.message}`);
        process.exitCode = 2;
        return;
      }
      if (r.results.length === 0) {
        // An empty file (or `calls: []`) is almost certainly the wrong file: say so.
        console.error(`error: ${file}: EINVAL: calls: a script needs at least one call`);
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
      // A call refused by the simulator's memory limit (and not expected to fail so) is bad input.
      const over = r.results.find((c) => c.memlock && c.expectation !== 'pass');
      if (over && limit !== undefined) {
        console.error(`error: ${file}: call ${over.index} (${over.ioctl}) needs more pinned memory than this machine can simulate: ENOMEM at the simulated RLIMIT_MEMLOCK of ${formatBytes(limit)} (80 % of ${formatBytes(machineLimits(1).totalMemoryBytes)}); map less, or pass --ignore-limits`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = r.passed ? 0 : 1;
    });
}
