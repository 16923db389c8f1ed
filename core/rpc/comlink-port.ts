/**
 * Request/reply between threads and processes: every channel of the workbench (SQLite writer
 * worker, vendor pool, job and page-table workers, engine host in a utilityProcess or a worker
 * thread) is a comlink endpoint (https://github.com/GoogleChromeLabs/comlink): one side
 * {@link serve}s an object, the other calls it through {@link connect} as if it were local,
 * each method returning a promise. This module adapts Node's and Electron's message ports to
 * comlink's Endpoint and adds what comlink lacks: calls fail when the peer dies instead of
 * hanging. Messages that are not comlink's (progress events posted on the same port) are
 * ignored by comlink and left to the port's other listeners.
 */
import { expose, wrap, type Endpoint, type Remote } from 'comlink';

export { transfer, type Endpoint, type Remote } from 'comlink';

/**
 * A Node-style message port: worker_threads `Worker`, `MessagePort`, `parentPort`, or
 * Electron's `UtilityProcess` (main side). Its 'message' listeners get the message itself.
 */
export interface NodePort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
  off(event: 'message', listener: (data: unknown) => void): unknown;
}

/**
 * A port whose peer can die: 'exit' with an exit code (worker_threads `Worker`, Electron
 * `UtilityProcess`), optionally preceded by 'error' (a worker's uncaught exception).
 */
export interface MortalPort extends NodePort {
  once(event: 'exit', listener: (code: number) => void): unknown;
  once(event: 'error', listener: (error: unknown) => void): unknown;
}

/** comlink's Endpoint over a {@link NodePort} (comlink listeners expect `{ data }` events). */
export function nodePortEndpoint(port: NodePort): Endpoint {
  const wrapped = new WeakMap<object, (data: unknown) => void>();
  return {
    postMessage: (message, transfer) => port.postMessage(message, transfer ?? []),
    addEventListener: (_type, handler) => {
      const l = (data: unknown): void => {
        const ev = { data } as MessageEvent;
        if (typeof handler === 'function') handler(ev);
        else handler.handleEvent(ev);
      };
      wrapped.set(handler, l);
      port.on('message', l);
    },
    removeEventListener: (_type, handler) => {
      const l = wrapped.get(handler);
      if (l) port.off('message', l);
      wrapped.delete(handler);
    },
  };
}

/** Serve `obj` on `port`: each comlink call runs the named method and posts its result (a thrown Error rejects the caller's promise). */
export function serve(obj: object, port: NodePort | Endpoint): void {
  expose(obj, 'on' in port ? nodePortEndpoint(port) : port);
}

/** The calling side of a channel: see {@link connect}. */
export interface Peer<T> {
  /**
   * Call the peer: `peer.call((r) => r.method(args))`. Rejects with the peer's death reason
   * (its uncaught exception, or "<what> exited (code N)") when it dies before answering.
   */
  call<F extends (remote: Remote<T>) => Promise<unknown>>(fn: F): Promise<Awaited<ReturnType<F>>>;
  /** The peer's death reason once it exited, else null. */
  readonly dead: Error | null;
}

/**
 * Connect to an object {@link serve}d at the other end of `port`. `what` names the peer in
 * the error a call rejects with when the peer exits ("<what> exited (code N)").
 */
export function connect<T>(port: MortalPort, what: string): Peer<T> {
  const remote = wrap<T>(nodePortEndpoint(port));
  let dead: Error | null = null;
  const waiting = new Set<(e: Error) => void>();
  const die = (reason: Error): void => {
    if (dead) return;
    dead = reason;
    for (const fail of waiting) fail(reason);
    waiting.clear();
  };
  // An uncaught exception in the peer rejects with that exception (the exit follows).
  port.once('error', (e) => die(e instanceof Error ? e : new Error(`${what} failed: ${String(e)}`)));
  port.once('exit', (code) => die(new Error(`${what} exited (code ${code})`)));
  return {
    call: <F extends (remote: Remote<T>) => Promise<unknown>>(fn: F) =>
      new Promise<Awaited<ReturnType<F>>>((resolve, reject) => {
        if (dead) return reject(dead);
        waiting.add(reject);
        fn(remote).then(
          (v) => {
            waiting.delete(reject);
            resolve(v as Awaited<ReturnType<F>>);
          },
          (e: unknown) => {
            waiting.delete(reject);
            reject(e);
          },
        );
      }),
    get dead() {
      return dead;
    },
  };
}
