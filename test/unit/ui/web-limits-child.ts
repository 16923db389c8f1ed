/**
 * Child process of web-limits.test.ts (runs under `node --import tsx`, so the web host's
 * worker gets the TypeScript loader): sends a 2 MiB replayTrace request to a web host with the
 * default message limit, and an oversize message to one with a 64 KiB limit, then checks that
 * host still serves a new connection. Prints what the clients saw as one JSON line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebHost, type WebHost } from '../../../electron/web/server';

const dir = mkdtempSync(join(tmpdir(), 'wb-limits-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');

interface Client {
  call(id: string, method: string, req: unknown): Promise<unknown>;
  send(text: string): void;
  closed: Promise<number>;
  close(): void;
}

async function connect(host: WebHost): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, { origin: `http://127.0.0.1:${host.port}`, headers: { cookie: `wb_token=${host.token}` } });
  const waiters = new Map<string, (v: unknown) => void>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { type: string; id?: string; result?: unknown };
    if (m.type === 'result' && m.id) waiters.get(m.id)?.(m.result);
  });
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await new Promise((r) => ws.once('open', r));
  return {
    call: (id, method, req) =>
      new Promise((resolve) => {
        waiters.set(id, resolve);
        ws.send(JSON.stringify({ id, method, req }));
      }),
    send: (text) => ws.send(text),
    closed,
    close: () => ws.close(),
  };
}

// 1. Default limit: a 2 MiB request (over the old 1 MiB cap) reaches the host and is validated there.
const big = await startWebHost({ port: 0, rendererDir: dir });
const a = await connect(big);
const trace = 'not a trace line\n'.repeat(Math.ceil((2 << 20) / 17));
const bigResult = await a.call('1', 'replayTrace', { traceText: trace, traceName: 't.txt', vendors: ['via'], flush: 'strict', dma: 'none', dbPath: join(dir, 'x.sqlite'), jobId: 'j' });
a.close();
await big.close();

// 2. A message over the limit closes that connection with 1009; the host keeps serving.
const small = await startWebHost({ port: 0, rendererDir: dir, maxMessageBytes: 64 * 1024 });
const b = await connect(small);
b.send(JSON.stringify({ id: '2', method: 'engineInfo', req: { pad: 'x'.repeat(100 * 1024) } }));
const closeCode = await b.closed;
const c = await connect(small);
const after = (await c.call('3', 'engineInfo', {})) as { ok: boolean };
c.close();
await small.close();
console.log(JSON.stringify({ bigResult, closeCode, afterOk: after.ok }));
