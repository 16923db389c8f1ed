/**
 * Child process of web-limits.test.ts (runs under `node --import tsx`, so the web host's
 * worker gets the TypeScript loader): sends a 2 MiB replayTrace request to a web host with the
 * default message limit, and an oversize message to one with a 64 KiB limit, then checks that
 * host still serves a new connection. Prints what the clients saw as one JSON line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebHost, type WebHost } from '../../../electron/web/server';
import { connectWebHost, type WebClient } from './web-client';

const dir = mkdtempSync(join(tmpdir(), 'wb-limits-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');

const connect = (host: WebHost): Promise<WebClient> => connectWebHost(host.port, host.token);

// 1. Default limit: a 2 MiB request (over the old 1 MiB cap) reaches the host and is validated there.
const big = await startWebHost({ port: 0, rendererDir: dir });
const a = await connect(big);
const trace = 'not a trace line\n'.repeat(Math.ceil((2 << 20) / 17));
const bigResult = await a.call('replayTrace', { traceText: trace, traceName: 't.txt', vendors: ['via'], flush: 'strict', dma: 'none', dbPath: join(dir, 'x.sqlite'), jobId: 'j' });
a.close();
await big.close();

// 2. A message over the limit closes that connection with 1009; the host keeps serving.
const small = await startWebHost({ port: 0, rendererDir: dir, maxMessageBytes: 64 * 1024 });
const b = await connect(small);
b.send(JSON.stringify({ pad: 'x'.repeat(100 * 1024) }));
const closeCode = await b.closed;
const c = await connect(small);
const after = await c.call('engineInfo', {});
c.close();
await small.close();
console.log(JSON.stringify({ bigResult, closeCode, afterOk: after.ok }));
