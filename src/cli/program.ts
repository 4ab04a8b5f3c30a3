/**
 * The `bulwark` command tree. Each command lives in its own file under `commands/` and registers itself here.
 */
import { Command } from 'commander';
// -- command imports (one line each) --
import { registerBenchCommand } from './commands/bench.js';
import { registerKillCommand } from './commands/kill.js';
import { registerBacktestCommand } from './commands/backtest.js';
import { registerSweepCommands } from './commands/sweep.js';
import { registerConstraintsCommand } from './commands/constraints.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerEnvCommand } from './commands/env.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDataCommand } from './commands/data.js';
import { registerTrainCommand } from './commands/train.js';
import { registerExperimentCommand } from './commands/experiment.js';
import { registerTokenCommand } from './commands/token.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bulwark')
    .description('Safety execution layer and research harness for trading agents')
    .version('0.1.0')
    .showHelpAfterError();
  // -- command registrations (one line each) --
  registerBenchCommand(program);
  registerKillCommand(program);
  registerBacktestCommand(program);
  registerSweepCommands(program);
  registerConstraintsCommand(program);
  registerAuditCommand(program);
  registerEnvCommand(program);
  registerDemoCommand(program);
  registerDataCommand(program);
  registerTrainCommand(program);
  registerExperimentCommand(program);
  registerTokenCommand(program);
  return program;
}

