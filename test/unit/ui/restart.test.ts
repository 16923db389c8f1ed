import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('web host engine restart (browser mode behaves like Electron)', () => {
  it('restarts a dead engine worker, tells clients, and serves calls again', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/unit/ui/restart-child.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      before: { result: { ok: boolean } };
      status: { status: { state: string; message: string } }[];
      info: { result: { ok: boolean; value: unknown } };
      engineOk: boolean;
    };
    expect(r.before.result.ok).toBe(true);
    expect(r.status).toHaveLength(1);
    expect(r.status[0].status.state).toBe('restarting');
    expect(r.status[0].status.message).toMatch(/engine host exited .*restarted \(1\)/);
    // A fresh engine: no database open any more (the renderer reopens it), and calls work.
    expect(r.info.result).toEqual({ ok: true, value: null });
    expect(r.engineOk).toBe(true);
  });
});
