/**
 * Benchmark runner (`npm run bench`, or `npx tsx test/bench/run.ts <name>...`): imports
 * ./<name>.bench.ts for every benchmark file in this folder (or only the names given on
 * argv), awaits its run(), and prints one JSON object { name: result }.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const names = wanted.length > 0
  ? wanted
  : readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.slice(0, -'.bench.ts'.length)).sort();

const results: Record<string, unknown> = {};
for (const name of names) {
  const mod = (await import(pathToFileURL(`${here}/${name}.bench.ts`).href)) as { run: () => Promise<Record<string, unknown>> };
  results[name] = await mod.run();
}
console.log(JSON.stringify(results, null, 2));
