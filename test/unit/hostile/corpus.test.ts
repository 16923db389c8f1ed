/**
 * The hostile-input corpus (issue 13): every case of test/hostile/cases.json - scenario
 * files, kernel traces, SQLite files, ioctl scripts, export targets, web requests and engine
 * host API calls - must end in a clear error: the expected exit code or errno, a message that
 * names the file and (where there is one) the field, no stack trace, and every database and
 * file that existed before byte-identical afterwards (nothing new left behind either).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { EngineHost } from '../../../electron/host/engine-host';
import { startWebHost, type WebHostProcess } from '../../e2e/harness';
import { cli, recordedDb, snapshot } from '../hardening/helpers';
import { generate, prepareDb, ROOT } from './recipes';

const CORPUS = join(ROOT, 'test/hostile');
type Reply = { type?: string; id?: string; value?: { ok: boolean; error?: { code: string } }; error?: { code: string } };
interface Case {
  id: string;
  kind: 'cli' | 'http' | 'raw' | 'ws' | 'ws-upgrade' | 'api';
  args?: string[];
  input?: string;
  generate?: { kind: string; bytes?: number; depth?: number };
  db?: string;
  exit?: number;
  stderr?: string[];
  stdout?: string[];
  path?: string;
  host?: string;
  method?: string;
  token?: boolean;
  status?: number;
  body?: string;
  request?: string;
  send?: string;
  reply?: { type?: string; id?: string; code: string };
  refused?: boolean;
  calls?: { method?: string; req?: Record<string, unknown>; ok?: boolean; code?: string; message?: string[]; spoil?: string }[];
}
const CASES = (JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;
const SMALL = { name: 'small', seed: 3, guest: { memory: '256MiB' }, devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 50000 } }], migration: { maxRounds: 3, downtimeMs: 5 } };

let template = '';
const scratch = mkdtempSync(join(tmpdir(), 'wb-hostile-'));
beforeAll(async () => {
  template = join(scratch, 'template.sqlite');
  await recordedDb(template);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Replace {db}, {dir}, {input}, {small}, {trace} in `s`. */
function fill(s: string, v: Record<string, string>): string {
  return s.replace(/\{(db|dir|input|small|trace|port|token)\}/g, (_m, k: string) => v[k] ?? `{${k}}`);
}

/** A case's working directory (the "user's disk") and its placeholders. */
async function setUp(c: Case) {
  const dir = mkdtempSync(join(scratch, 'case-'));
  const gen = mkdtempSync(join(scratch, 'gen-'));
  const db = join(dir, 'db.sqlite');
  const prepared = await prepareDb(c.db ?? 'recorded', db, template);
  const small = join(gen, 'small.json');
  writeFileSync(small, JSON.stringify(SMALL));
  let input = c.input ? join(CORPUS, c.input) : '';
  if (c.generate) {
    input = join(gen, `input-${c.generate.kind}`);
    generate(c.generate, input);
  }
  const vars = { db, dir, input, small, trace: join(CORPUS, 'trace/valid-small.txt') };
  return { dir, db, prepared, vars, cleanup: () => rmSync(gen, { recursive: true, force: true }) };
}

/** Runs recorded in `db` (for a file another process keeps writing). */
function runCount(db: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT count(*) AS n FROM run').get() as { n: number }).n;
  } finally {
    d.close();
  }
}

describe('hostile inputs: CLI (scenario, trace, SQLite, ioctl script, export)', () => {
  it('has at least 60 cases over every kind of input', () => {
    const kinds = new Set(CASES.map((c) => c.id.split('/')[0]));
    expect([...kinds].sort()).toEqual(['api', 'export', 'ioctl', 'scenario', 'sqlite', 'sweep', 'trace', 'web']);
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  for (const c of CASES.filter((x) => x.kind === 'cli')) {
    it(c.id, async () => {
      const s = await setUp(c);
      try {
        if (!s.prepared.available) return; // this machine cannot make the file (no chattr)
        const before = s.prepared.live ? null : snapshot(s.dir);
        const runsBefore = s.prepared.live ? runCount(s.db) : 0;
        const r = await cli(c.args!.map((a) => fill(a, s.vars)));
        expect(r.code, r.err).toBe(c.exit);
        for (const want of c.stderr ?? []) expect(r.err).toContain(fill(want, s.vars));
        for (const want of c.stdout ?? []) expect(r.out).toContain(fill(want, s.vars));
        if (c.exit !== 0) expect(r.err.split('\n').some((l) => l.startsWith('error: '))).toBe(true);
        expect(r.err).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // no stack trace
        await s.prepared.release();
        if (before) expect(snapshot(s.dir)).toEqual(before);
        // A live writer's file keeps growing; the refused process added no run to it.
        else expect(runCount(s.db)).toBe(Math.max(runsBefore, 1));
      } finally {
        await s.prepared.release();
        s.cleanup();
      }
    }, 60_000);
  }
});

describe('hostile inputs: engine host API (the UI)', () => {
  for (const c of CASES.filter((x) => x.kind === 'api')) {
    it(c.id, async () => {
      const s = await setUp(c);
      const host = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
      try {
        let before = snapshot(s.dir);
        let n = 0;
        for (const call of c.calls!) {
          if (call.spoil) {
            // Another program replaces the file under the open database.
            writeFileSync(fill(call.spoil, s.vars), 'not a database any more '.repeat(100));
            before = snapshot(s.dir);
            continue;
          }
          const req = JSON.parse(fill(JSON.stringify(call.req), s.vars), (_k, v: unknown) => (typeof v === 'string' && v.startsWith('@') ? readFileSync(join(CORPUS, v.slice(1)), 'utf8') : v));
          const r = await host.handle(String(++n), call.method!, req);
          if (call.ok) {
            expect(r.ok, JSON.stringify(r)).toBe(true);
            continue;
          }
          expect(r).toMatchObject({ ok: false, error: { code: call.code } });
          if (!r.ok) for (const want of call.message ?? []) expect(r.error.message).toContain(fill(want, s.vars));
        }
        await host.handle('close', 'closeDatabase', {});
        expect(snapshot(s.dir)).toEqual(before);
      } finally {
        host.dispose();
        await s.prepared.release();
        s.cleanup();
      }
    }, 60_000);
  }
});

describe('hostile inputs: web host requests', () => {
  let host: WebHostProcess;
  let vars: Record<string, string> = {};
  beforeAll(async () => {
    const dir = mkdtempSync(join(scratch, 'renderer-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    host = await startWebHost(dir);
    vars = { port: new URL(host.origin).port, token: host.token };
  });
  afterAll(() => host?.stop());

  const http = (c: Case): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const u = new URL(host.origin);
      const path = `${c.path}${c.token === false ? '' : `${c.path!.includes('?') ? '&' : '?'}token=${host.token}`}`;
      const headers = c.host ? { host: fill(c.host, vars) } : {};
      const req = request({ host: u.hostname, port: u.port, path, method: c.method ?? 'GET', headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  const raw = (text: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const u = new URL(host.origin);
      const sock = connect(Number(u.port), u.hostname, () => sock.write(text));
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('end', () => resolve(out));
      sock.on('error', reject);
    });

  for (const c of CASES.filter((x) => ['http', 'raw', 'ws', 'ws-upgrade'].includes(x.kind))) {
    it(c.id, async () => {
      if (c.kind === 'http') {
        const r = await http(c);
        expect(r.status).toBe(c.status);
        if (c.body) expect(r.body).toContain(c.body);
      } else if (c.kind === 'raw') {
        const out = await raw(fill(c.request!, vars));
        expect(out.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.[01] ${c.status} `));
      } else if (c.kind === 'ws-upgrade') {
        const refused = await new Promise<boolean>((resolve) => {
          const h = fill(c.host!, vars);
          const ws = new WebSocket(`${host.origin.replace('http', 'ws')}/api?token=${host.token}`, { headers: { host: h }, origin: `http://${h}` });
          ws.on('open', () => {
            ws.close();
            resolve(false);
          });
          ws.on('error', () => resolve(true));
        });
        expect(refused).toBe(c.refused);
      } else {
        const ws = new WebSocket(`${host.origin.replace('http', 'ws')}/api?token=${host.token}`, { origin: host.origin });
        await new Promise((ok, fail) => {
          ws.on('open', ok);
          ws.on('error', fail);
        });
        const reply = new Promise<Reply>((ok) => ws.once('message', (d) => ok(JSON.parse(String(d)) as Reply)));
        ws.send(c.send!);
        const m = await reply;
        ws.close();
        if (c.reply!.type === 'error') expect(m).toMatchObject({ type: 'error', error: { code: c.reply!.code } });
        else expect(m).toMatchObject({ id: c.reply!.id, value: { ok: false, error: { code: c.reply!.code } } });
      }
      // The host is still up and serving after every hostile request.
      expect((await fetch(host.url)).status).toBe(200);
      expect(host.child.exitCode).toBeNull();
    });
  }
});

// A sanity check of the corpus itself: every input file it names exists.
describe('hostile corpus files', () => {
  it('every input named by a case exists under test/hostile/', () => {
    for (const c of CASES) if (c.input) expect(existsSync(join(CORPUS, c.input)), c.input).toBe(true);
  });
});
