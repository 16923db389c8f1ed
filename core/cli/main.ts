/**
 * `iommu-workbench` command line (`npm run cli -- <command>` in the repository).
 * Exit codes: 0 success, 1 a run failed (or Node.js is too old), 2 bad input.
 */
import { Command, CommanderError } from 'commander';
import { nodeVersionProblem } from '../base/node-version';
import { registerCommands } from './commands';

export const EXIT_OK = 0;
export const EXIT_RUN_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Build the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command()
    .name('iommu-workbench')
    .description('Simulate Linux IOMMU dirty tracking on AMD-Vi, Intel VT-d and Arm SMMUv3 models and compare the costs.')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Run with argv (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // Before anything touches better-sqlite3 (Node 20 segfaults in it).
  const old = nodeVersionProblem(process.versions.node, process.execPath);
  if (old) {
    console.error(old);
    return EXIT_RUN_FAILED;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    // One line for the user; the stack only on request (a bug report).
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.WB_DEBUG === '1' && e instanceof Error) console.error(e.stack);
    return EXIT_RUN_FAILED;
  }
}

if (process.argv[1] && /core[/\\]cli[/\\]main\.ts$/.test(process.argv[1])) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
