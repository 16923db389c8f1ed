import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../core/cli/main';

const EXAMPLES = 'core/iommufd/examples';

async function run(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    return { code: await main(args), out: out.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.exitCode = undefined;
  }
}

describe('iommu-workbench ioctl', () => {
  for (const f of readdirSync(EXAMPLES)) {
    it(`${f} passes its expectations on the mock`, async () => {
      const r = await run(['ioctl', join(EXAMPLES, f), '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).passed).toBe(true);
    });
  }

  it('dirty-tracking.json passes on every vendor model', async () => {
    for (const v of ['amd', 'intel', 'smmuv3']) expect((await run(['ioctl', join(EXAMPLES, 'dirty-tracking.json'), '--vendor', v])).code).toBe(0);
  });

  it('exits 1 when an expectation fails and 2 on a malformed script', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-ioctl-'));
    const wrong = join(dir, 'wrong.jsonl');
    writeFileSync(wrong, '{"ioctl":"IOMMU_IOAS_ALLOC","as":"ioas"}\n{"ioctl":"IOMMU_DESTROY","args":{"id":0},"expect":"OK"}\n');
    const r = await run(['ioctl', wrong]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('ENOENT');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect((await run(['ioctl', bad])).code).toBe(2);
  });
});
