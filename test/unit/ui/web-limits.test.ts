import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('web host message size (trace uploads in browser mode)', () => {
  it('accepts a multi-MiB request, and closes only the offending connection with 1009 when one is too large', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/unit/ui/web-limits-child.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { bigResult: { ok: boolean; error?: { code: string; message: string } }; closeCode: number; afterOk: boolean };
    // The 2 MiB request got to the host's zod validation (bad vendor), not dropped by the transport.
    expect(r.bigResult.ok).toBe(false);
    expect(r.bigResult.error?.code).toBe('EINVAL');
    expect(r.bigResult.error?.message).toMatch(/unknown vendor "via"/);
    // The client sees 1009 (the renderer reports it as E2BIG); the host survives and serves new connections.
    expect(r.closeCode).toBe(1009);
    expect(r.afterOk).toBe(true);
  });
});
