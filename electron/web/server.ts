/**
 * Browser-mode web host (`npm run web`): serves the built renderer and the API over a
 * WebSocket (comlink, ./ws-endpoint.ts), with the engine host in a worker_thread (comlink,
 * core/rpc); progress and status events go to every connection as plain JSON messages. Binds 127.0.0.1 only and requires a
 * random token, printed with the URL at start; every request without it gets 401.
 *
 * Auth: the first page load carries `?token=`; the host answers with an HttpOnly,
 * SameSite=Strict cookie that the page's asset and WebSocket requests then carry.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Command } from 'commander';
import { WebSocketServer, type WebSocket } from 'ws';
import { isHostEvent, type HostService } from '../host/engine-host';
import type { ApiResult } from '../api';
import { connect, serve, type Peer } from '../../core/rpc/comlink-port';
import { CSP } from './csp';
import { hostHeaderAllowed } from './host-header';
import { resolveStaticPath } from './static-path';
import { nodeVersionProblem } from '../../core/base/node-version';
import { isApiCallMessage, wsEndpoint } from './ws-endpoint';
import { REPLAY_MAX_TRACE_BYTES, REPLAY_MAX_XLATE_BYTES } from '../host/schemas';

/**
 * Largest WebSocket message: a replayTrace request carries the trace and xlate files' text
 * (each at most 64 MiB; JSON escaping adds a few percent for ordinary text). Larger messages
 * close the connection with 1009, which the client reports as E2BIG.
 */
export const MAX_MESSAGE_BYTES = Math.ceil((REPLAY_MAX_TRACE_BYTES + REPLAY_MAX_XLATE_BYTES) * 1.25);

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

export interface WebHostOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Directory of the built renderer (electron-vite build output). */
  rendererDir: string;
  /** Fixed token (tests); random 192-bit hex when absent. */
  token?: string;
  /** Largest WebSocket message accepted (default {@link MAX_MESSAGE_BYTES}; tests set less). */
  maxMessageBytes?: number;
}

export interface WebHost {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
  /** Stop the engine worker the way a crash would (it is restarted; clients get a status event). For tests. */
  crashEngine(): Promise<void>;
}

function tokenFrom(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const q = url.searchParams.get('token');
  if (q) return q;
  const cookie = req.headers.cookie ?? '';
  const m = /(?:^|;\s*)wb_token=([0-9a-f]+)/.exec(cookie);
  return m ? m[1] : null;
}

function sameToken(a: string | null, b: string): boolean {
  if (!a || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Start the web host. Resolves once it listens on 127.0.0.1. */
export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const root = resolve(opts.rendererDir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`built renderer not found in ${root}: run \`npx electron-vite build\` first`);
  }
  const sockets = new Set<WebSocket>();
  const broadcast = (m: unknown): void => {
    for (const ws of sockets) ws.send(JSON.stringify(m));
  };
  // The engine host worker (served over comlink); restarted if it dies (calls in flight fail with EIO, the UI is told).
  let worker: Worker;
  let engine: Peer<HostService>;
  let closing = false;
  let restarts = 0;
  const startWorker = (): void => {
    worker = new Worker(new URL('./worker.ts', import.meta.url));
    engine = connect<HostService>(worker, 'engine');
    worker.on('message', (m: unknown) => {
      if (isHostEvent(m)) broadcast(m);
    });
    worker.on('error', (e) => console.error(`engine host worker failed: ${e.message}`));
    worker.on('exit', (code) => {
      if (closing) return;
      restarts++;
      broadcast({ type: 'status', status: { state: 'restarting', message: `engine host exited (code ${code}); restarted (${restarts})` } });
      startWorker();
    });
  };
  /** One API call on the current engine worker; EIO when it dies before answering. */
  const call = async (method: string, req: unknown): Promise<ApiResult<unknown>> => {
    try {
      return await engine.call((h) => h.call(method, req));
    } catch (e) {
      return { ok: false, error: { code: 'EIO', message: e instanceof Error ? e.message : String(e) } };
    }
  };
  startWorker();

  const headers = {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };

  let port = opts.port;
  const serveFile = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      serveFileUnchecked(req, res);
    } catch (e) {
      // Never let one request stop the host.
      console.error(`web host: ${req.method} ${String(req.url).slice(0, 200)}: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('500: internal error\n');
    }
  };
  const serveFileUnchecked = (req: IncomingMessage, res: ServerResponse): void => {
    // DNS rebinding: a page of another site may reach 127.0.0.1 under its own host name.
    if (!hostHeaderAllowed(req.headers.host, port)) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end(`421: Host ${JSON.stringify(String(req.headers.host ?? '').slice(0, 100))} is not this web host; open http://127.0.0.1:${port}/\n`);
      return;
    }
    if (!sameToken(tokenFrom(req), token)) {
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('401: missing or wrong token (see the URL printed by `npm run web`)\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // A malformed escape (`/%`) is a 400 (an uncaught URIError here used to stop the host).
    const target = resolveStaticPath(root, url.pathname);
    if (!target.ok && target.reason === 'malformed') {
      res.writeHead(400, { ...headers, 'Content-Type': 'text/plain' }).end(`400: ${target.message}\n`);
      return;
    }
    const file = target.ok ? target.file : '';
    if (!target.ok || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end('404\n');
      return;
    }
    const cookie = `wb_token=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Set-Cookie': cookie });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  };

  const server = createServer(serveFile);
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes ?? MAX_MESSAGE_BYTES });
  let nextConn = 0;
  server.on('upgrade', (req, socket, head) => {
    const origin = req.headers.origin ?? '';
    const host = req.headers.host ?? '';
    if (!hostHeaderAllowed(host, port)) {
      socket.end('HTTP/1.1 421 Misdirected Request\r\n\r\n');
      return;
    }
    let path = '';
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      path = '';
    }
    if (!sameToken(tokenFrom(req), token) || path !== '/api' || origin !== `http://${host}`) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = ++nextConn;
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // A protocol error (e.g. a message over MAX_MESSAGE_BYTES: ws closes with 1009) ends this
      // connection only; without a listener it would be an uncaught error that stops the host.
      ws.on('error', (e) => console.error(`web host: connection ${conn}: ${e.message}`));
      // Each connection is served over comlink; only calls of `call(method, req)` get through.
      // Anything else is answered, never ignored (a client must not wait forever): with a
      // comlink reply carrying an EINVAL result when it has a usable id, else an `error` event.
      const refuse = (m: unknown, why: string): void => {
        const id = typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string' ? (m as { id: string }).id : null;
        const error = { code: 'EINVAL', message: `malformed request: ${why}` };
        if (ws.readyState !== ws.OPEN) return;
        if (id !== null && id.length >= 1 && id.length <= 64) ws.send(JSON.stringify({ id, type: 'RAW', value: { ok: false, error } }));
        else ws.send(JSON.stringify({ type: 'error', error }));
      };
      serve(
        { call } satisfies HostService,
        wsEndpoint(ws, {
          accept: isApiCallMessage,
          onOther: (m) => refuse(m, 'not a call of call(method, req) with an id of 1 to 64 characters and a method name of at most 64'),
          onUnparsable: () => refuse(null, 'not JSON'),
        }),
      );
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    token,
    port,
    async crashEngine() {
      await worker.terminate();
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((ok) => server.close(() => ok()));
      closing = true;
      await worker.terminate();
    },
  };
}

// Command-line entry: `tsx electron/web/server.ts [--port N] [--renderer DIR]`.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // The engine worker's store (better-sqlite3) segfaults on Node 20: refuse before starting it.
  const old = nodeVersionProblem(process.versions.node, process.execPath);
  if (old) {
    console.error(old);
    process.exit(1);
  }
  const program = new Command()
    .name('iommu-workbench-web')
    .description('Serve IOMMU Workbench in a browser on 127.0.0.1 (token required).')
    .option('-p, --port <port>', 'TCP port (0 = any free port)', '5199')
    .option('--renderer <dir>', 'built renderer directory', fileURLToPath(new URL('../../out/renderer', import.meta.url)))
    .parse();
  const o = program.opts<{ port: string; renderer: string }>();
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`error: bad --port ${o.port}`);
    process.exit(2);
  }
  startWebHost({ port, rendererDir: o.renderer }).then(
    (h) => {
      console.log(`IOMMU Workbench (browser mode) listening on 127.0.0.1:${h.port}`);
      console.log(`Open: ${h.url}`);
      const stop = (): void => void h.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (e: Error) => {
      console.error(`error: ${e.message}`);
      process.exit(1);
    },
  );
}
