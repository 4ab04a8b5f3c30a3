/**
 * The `bulwark` command tree. Each command lives in its own file under `commands/` and registers itself; this file
 * loads only the file of the command being run. The others appear as name-and-description entries, so
 * `bulwark --help` loads commander and nothing else, and a backtest never loads TensorFlow.js or ccxt.
 */
import { Command } from 'commander';

type Register = (program: Command) => void;

interface CommandModule {
  /** The top-level commands the module registers, with the descriptions `bulwark --help` lists. */
  readonly commands: readonly { readonly name: string; readonly description: string }[];
  readonly load: () => Promise<Register>;
}

// -- command modules (one entry each; program.test.ts checks the names and descriptions against the modules) --
export const COMMAND_MODULES: readonly CommandModule[] = [
  {
    commands: [{ name: 'bench', description: 'measure a hot path and print JSON (bulwark bench --help lists the benchmarks)' }],
    load: async () => (await import('./commands/bench.js')).registerBenchCommand,
  },
  {
    commands: [
      { name: 'kill', description: 'soft kill (REDUCING: only position-shrinking orders) or hard kill (HALTED: cancel and flatten); only ever tightens' },
      { name: 'resume', description: 'loosen a scope: to ACTIVE, or from HALTED to REDUCING (--to reducing); only an operator can' },
      { name: 'status', description: "print every scope's state in the store next to the kill-switch log's, the epoch and the home" },
    ],
    load: async () => (await import('./commands/kill.js')).registerKillCommand,
  },
  {
    commands: [{ name: 'backtest', description: 'run an agent over history through the full safety chain and write metrics, CSVs and report.html' }],
    load: async () => (await import('./commands/backtest.js')).registerBacktestCommand,
  },
  {
    commands: [{ name: 'paper', description: 'paper trading: an agent on a live or replayed feed through the full safety chain, journaled and resumable' }],
    load: async () => (await import('./commands/paper.js')).registerPaperCommand,
  },
  {
    commands: [
      { name: 'sweep', description: 'backtest every parameter combination × seed on local worker threads; mean ± sd per combination across seeds' },
      {
        name: 'walk-forward',
        description: 'fit the agent on rolling/expanding train windows (parameter search, or PPO/PPO-Lag training), evaluate on the test windows after them',
      },
    ],
    load: async () => (await import('./commands/sweep.js')).registerSweepCommands,
  },
  {
    commands: [{ name: 'worker', description: 'run queued backtest, sweep, walk-forward, training (and noop) jobs from Redis (BullMQ) until SIGTERM' }],
    load: async () => (await import('./commands/worker.js')).registerWorkerCommand,
  },
  {
    commands: [{ name: 'constraints', description: 'the Constraint Logic Engine (action masks from hard rules)' }],
    load: async () => (await import('./commands/constraints.js')).registerConstraintsCommand,
  },
  {
    commands: [{ name: 'audit', description: 'tamper-evident audit log: keys and verification' }],
    load: async () => (await import('./commands/audit.js')).registerAuditCommand,
  },
  {
    commands: [{ name: 'env', description: 'the Gym-style trading environment' }],
    load: async () => (await import('./commands/env.js')).registerEnvCommand,
  },
  {
    commands: [{ name: 'demo', description: 'the main job: train PPO and PPO-Lag, with and without the mask, briefly; backtest them through the full safety chain, write report.html' }],
    load: async () => (await import('./commands/demo.js')).registerDemoCommand,
  },
  {
    commands: [{ name: 'data', description: 'market data: download, synthetic markets, CSV inspection' }],
    load: async () => (await import('./commands/data.js')).registerDataCommand,
  },
  {
    commands: [{ name: 'train', description: 'train a PPO-Lag policy on the trading env from a YAML config' }],
    load: async () => (await import('./commands/train.js')).registerTrainCommand,
  },
  {
    commands: [{ name: 'eval', description: 'score a trained checkpoint over N episodes on held-out data: return, cost vs the limit, masked and rejected counts (mean ± sd)' }],
    load: async () => (await import('./commands/eval.js')).registerEvalCommand,
  },
  {
    commands: [{ name: 'experiment', description: 'reproducible research experiments' }],
    load: async () => (await import('./commands/experiment.js')).registerExperimentCommand,
  },
  {
    commands: [{ name: 'token', description: 'capability tokens for the gateway' }],
    load: async () => (await import('./commands/token.js')).registerTokenCommand,
  },
  {
    commands: [{ name: 'gateway', description: 'serve the agent API (/v1) and the ops API (/v1/ops) in front of paper sessions on replayed feeds' }],
    load: async () => (await import('./commands/gateway.js')).registerGatewayCommand,
  },
];

/**
 * The command named in `argv` (`node bulwark NAME …`, or `… help NAME`), or undefined when none is (`--help`,
 * no arguments). The program has no options of its own that take a value, so the first word is the command.
 */
export function commandNameIn(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program, with the module of the command in `argv` registered in full (or every module, when `argv` is
 * omitted) and the others as entries that only list themselves.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command();
  program
    .name('bulwark')
    .description('Safety execution layer and research harness for trading agents')
    .version('0.1.0')
    .showHelpAfterError();
  const wanted = argv === undefined ? undefined : commandNameIn(argv);
  for (const module of COMMAND_MODULES) {
    if (argv === undefined || module.commands.some((c) => c.name === wanted)) {
      (await module.load())(program);
    } else {
      for (const c of module.commands) program.command(c.name).description(c.description);
    }
  }
  return program;
}
