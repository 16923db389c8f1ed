// Child of bundle.test.ts, run by plain Node (no tsx, type stripping off) next to a copy of
// out/main/ without any TypeScript source: starts the bundled comparison and page-table
// workers as the engine host does, runs a small comparison (writer worker and vendor pool
// included) and a page-table rebuild, and prints what it got as one JSON line.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { wrap } from 'comlink';

const [scenarioFile, dbPath] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioFile, 'utf8'));
const main = new URL('./out/main/', import.meta.url);

/** comlink Endpoint over a worker_threads Worker. */
function endpoint(w) {
  const wrapped = new Map();
  return {
    postMessage: (m, t) => w.postMessage(m, t ?? []),
    addEventListener: (_t, h) => {
      const l = (data) => h({ data });
      wrapped.set(h, l);
      w.on('message', l);
    },
    removeEventListener: (_t, h) => w.off('message', wrapped.get(h)),
  };
}

const failures = [];
const start = (name, workerData) => {
  const w = new Worker(new URL(`${name}.js`, main), { workerData });
  w.on('error', (e) => failures.push(`${name}: ${e.message}`));
  return w;
};

const cw = start('comparison-worker', {});
let progress = 0;
cw.on('message', (m) => m && m.type === 'progress' && progress++);
const comparison = await wrap(endpoint(cw)).run(scenario, dbPath);
await cw.terminate();

const pw = start('pagetable-worker', { scenario, vendor: 'intel' });
const pt = wrap(endpoint(pw));
const info = await pt.info();
const walk = await pt.walk(0x1000);
await pw.terminate();

console.log(JSON.stringify({ comparison, progress, format: info.format, walkLevels: walk.length, failures }));
