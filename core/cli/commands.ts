/** The CLI's commands; each sets process.exitCode (0 ok, 1 run failed, 2 bad input). */
import type { Command } from 'commander';
import { presetNames, presetText, loadPreset } from '../scenario/presets';
import { scenarioJsonSchema } from '../scenario/schema';
import { registerCompare } from './compare';
import { registerCosts } from './costs';
import { registerSensitivity } from './sensitivity';
import { registerExport } from './export';
import { registerIoctl } from './ioctl';
import { registerReplay } from './replay';
import { registerSweep } from './sweep';

export function registerCommands(program: Command): void {
  program
    .command('scenarios')
    .description('list the preset scenarios')
    .option('--json', 'machine-readable output')
    .option('--show <name>', 'print one preset as JSON')
    .action((o: { json?: boolean; show?: string }) => {
      if (o.show) {
        const text = presetText(o.show);
        if (!text) {
          console.error(`error: no preset named '${o.show}' (presets: ${presetNames().join(', ')})`);
          process.exitCode = 2;
          return;
        }
        console.log(text);
        return;
      }
      const list = presetNames().map((name) => {
        const s = loadPreset(name)!;
        return { name, description: s.description, vendors: s.vendors, guestBytes: s.guest.memory };
      });
      if (o.json) console.log(JSON.stringify(list, null, 2));
      else for (const p of list) console.log(`${p.name.padEnd(24)} ${p.description}`);
    });

  registerCompare(program);
  registerCosts(program);
  registerSensitivity(program);
  registerReplay(program);
  registerExport(program);
  registerIoctl(program);
  registerSweep(program);

  program
    .command('schema')
    .description('print the JSON Schema of scenario files')
    .action(() => console.log(JSON.stringify(scenarioJsonSchema(), null, 2)));
}
