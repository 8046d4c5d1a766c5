/**
 * The `loopguard` command. Results go to stdout, progress and logs to stderr. Exit codes: 0 all checks ok, 1 a check
 * failed (CI gating), 2 bad input or usage.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../store/store.js';
import { VERSION } from '../version.js';
import { EXIT } from './common.js';
import { registerIngest } from './ingest.js';
import { registerKeys } from './keys.js';
import { registerLoopHealth } from './loop-health.js';
import { registerDrift } from './drift.js';
import { registerOpenApi } from './openapi.js';
import { registerOpe } from './ope.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerDemo } from './demo.js';

export function buildProgram(): Command {
  const program = new Command('loopguard')
    .description('Keep a production ML data flywheel honest.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServe(program);
  registerKeys(program);
  registerIngest(program);
  registerLoopHealth(program);
  registerOpe(program);
  registerDrift(program);
  registerOpenApi(program);
  registerSimulate(program);
  registerDemo(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof UserError) {
      process.stderr.write(`loopguard: ${err.message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    const e = err as Error;
    process.stderr.write(
      `loopguard: unexpected error: ${e.message}\n${process.env.LOOPGUARD_DEBUG ? (e.stack ?? '') + '\n' : 'Run again with LOOPGUARD_DEBUG=1 for the details, and report it if it persists.\n'}`,
    );
    process.exitCode = EXIT.usage;
  }
}
