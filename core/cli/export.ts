/** `export <db>`: copy or convert a trace database (core/store/export). */
import type { Command } from 'commander';
import { exportTrace, type ExportFormat } from '../store/export';

const FORMATS: ExportFormat[] = ['sqlite', 'chrome-json', 'csv', 'ftrace'];

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a trace database: SQLite copy, Chrome/Perfetto JSON, CSV or ftrace text')
    .argument('<db>', 'trace database written by compare, run or replay')
    .requiredOption('--format <f>', FORMATS.join(' | '))
    .requiredOption('--out <path>', 'output file (never the input database; an existing file only with --force)')
    .option('--runs <ids>', 'comma-separated run ids (default: all)')
    .option('--force', 'replace an existing output file (it is replaced only when the export succeeded)')
    .action(async (db: string, o: { format: string; out: string; runs?: string; force?: boolean }) => {
      if (!FORMATS.includes(o.format as ExportFormat)) {
        console.error(`error: bad --format ${o.format} (${FORMATS.join(' | ')})`);
        process.exitCode = 2;
        return;
      }
      const runIds = o.runs?.split(',').map(Number);
      if (runIds?.some((n) => !Number.isInteger(n) || n < 1)) {
        console.error(`error: bad --runs ${o.runs}`);
        process.exitCode = 2;
        return;
      }
      const r = await exportTrace(db, { format: o.format as ExportFormat, out: o.out, runIds, overwrite: o.force === true });
      if (!r.ok) {
        // Every message starts with the file it is about (the database or the output).
        const hint = r.error.code === 'EEXIST' ? ' (add --force to replace it)' : '';
        console.error(`error: ${r.error.code}: ${r.error.message}${hint}`);
        process.exitCode = r.error.code === 'EXPORT' ? 1 : 2;
        return;
      }
      console.log(`wrote ${o.out} (${r.rows} rows)`);
    });
}
