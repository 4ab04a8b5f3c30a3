/**
 * `bulwark env inspect`: shows what an agent sees — the observation and action spaces of a TradingEnv on
 * some data — and plays one short seeded episode with random allowed actions, step by step.
 */
import type { Command } from 'commander';
import { type Bars, Rng } from '../../core/index.js';
import { loadMarketSource } from '../../data/index.js';
import { TradingEnv, createDataset } from '../../env/index.js';
import { addCsvOptions, type CsvFlags, csvOptionsFromFlags } from '../csv-flags.js';
import { parseWholeNumberFlag } from '../flags.js';

interface InspectOptions extends CsvFlags {
  data?: string;
  synth?: string;
  seed: string;
  steps: string;
  window: string;
  json: boolean;
}

export function registerEnvCommand(program: Command): void {
  const env = program.command('env').description('the Gym-style trading environment');
  const inspectCmd = env
    .command('inspect')
    .description('print the spaces of a TradingEnv and one short seeded episode')
    .option('--data <file>', 'OHLCV CSV file')
    .option('--synth <spec>', 'synthetic market, e.g. regime or regime:bars=5000,drift=0.1')
    .option('--seed <n>', 'seed of the episode (and of the synthetic market unless its spec names one)', '1')
    .option('--steps <n>', 'steps of the sample episode', '20')
    .option('--window <n>', 'bars of features in each observation', '16')
    .option('--json', 'print one JSON object', false);
  addCsvOptions(inspectCmd).action(async (opts: InspectOptions) => {
    const seed = parseWholeNumberFlag(opts.seed, '--seed', 0);
    const steps = parseWholeNumberFlag(opts.steps, '--steps', 1);
    const windowSize = parseWholeNumberFlag(opts.window, '--window', 1);
    const market = await loadMarket(opts, seed);
    const dataset = createDataset({ bars: market.bars });
    const tradingEnv = new TradingEnv({ dataset, config: { seed, windowSize } });
    process.stdout.write(`${render(inspect(tradingEnv, seed, steps, market), opts.json)}\n`);
  });
}

interface Market {
  bars: Bars;
  source: string;
  /** What the CSV loader did (sorting, gaps …). */
  notes: string[];
}

async function loadMarket(opts: InspectOptions, seed: number): Promise<Market> {
  const market = await loadMarketSource({
    ...(opts.data === undefined ? {} : { data: opts.data }),
    ...(opts.synth === undefined ? {} : { synth: opts.synth }),
    csv: csvOptionsFromFlags(opts),
    // --seed seeds the market too, unless the spec names its own seed.
    synthSeed: seed,
    minBars: 1,
  }).catch((err: unknown) => {
    throw err instanceof RangeError && err.message.startsWith('data: ') ? new RangeError(`env inspect: ${err.message.slice(6)}`) : err;
  });
  return { bars: market.bars, source: market.source, notes: [...market.notes] };
}

interface StepRow {
  step: number;
  bar: number;
  time: string;
  action: string;
  reward: number;
  cost: number;
  equity: number;
  position: number;
  fill_price: number;
  fee: number;
}

function inspect(env: TradingEnv, seed: number, steps: number, market: Market) {
  const { bars, features } = env.sim.dataset;
  const rng = new Rng(seed + 1);
  const actions = env.config.actionList;
  const rows: StepRow[] = [];
  const { info } = env.reset();
  const start = env.sim.startIndex;
  let totalReward = 0;
  let totalCost = 0;
  for (let i = 0; i < steps; i++) {
    // A random action among those the mask allows.
    const allowed: number[] = [];
    info.actionMask.forEach((m, a) => {
      if (m === 1) allowed.push(a);
    });
    const a = allowed[rng.nextInt(allowed.length)];
    const r = env.step(a);
    totalReward += r.reward;
    totalCost += r.cost;
    rows.push({
      step: i + 1,
      bar: r.info.barIndex,
      time: new Date(bars.time[r.info.barIndex]).toISOString(),
      action: actions[a].name,
      reward: r.reward,
      cost: r.cost,
      equity: r.info.equity,
      position: r.info.positionQty,
      fill_price: r.info.fill.price,
      fee: r.info.fees,
    });
    if (r.terminated || r.truncated) break;
  }
  return {
    data: {
      source: market.source,
      notes: market.notes,
      bars: bars.length,
      first: new Date(bars.time[0]).toISOString(),
      last: new Date(bars.time[bars.length - 1]).toISOString(),
    },
    observation: {
      obs_dim: env.obsDim,
      window_size: env.config.windowSize,
      feature_names: features.names,
      feature_warmup_bars: features.warmup,
      portfolio: env.obsNames().slice(env.config.windowSize * features.nFeatures),
    },
    action_space: env.actionSpace.kind === 'discrete' ? `Discrete(${env.nActions})` : 'Box(1)',
    actions: actions.map((a, index) => ({ index, name: a.name, kind: a.kind, fraction: a.fraction })),
    episode: { seed, start_bar: start, steps: rows, total_reward: totalReward, total_cost: totalCost },
  };
}

function render(report: ReturnType<typeof inspect>, json: boolean): string {
  if (json) return JSON.stringify(report);
  const o = report.observation;
  const lines = [
    `data: ${report.data.source}, ${report.data.bars} bars, ${report.data.first} … ${report.data.last}`,
    ...report.data.notes.map((n) => `  loader: ${n}`),
    `observation: ${o.obs_dim} floats = ${o.window_size} bars × [${o.feature_names.join(', ')}] + [${o.portfolio.join(', ')}]`,
    `actions: ${report.action_space}: ${report.actions.map((a) => `${a.index} ${a.name}`).join(', ')}`,
    `episode (seed ${report.episode.seed}, random allowed actions) from bar ${report.episode.start_bar}:`,
    `${'step'.padStart(4)} ${'bar'.padStart(6)} ${'action'.padEnd(16)} ${'reward'.padStart(10)} ${'cost'.padStart(5)} ${'equity'.padStart(11)} ${'position'.padStart(10)}`,
    ...report.episode.steps.map(
      (r) =>
        `${String(r.step).padStart(4)} ${String(r.bar).padStart(6)} ${r.action.padEnd(16)} ${r.reward.toFixed(6).padStart(10)} ` +
        `${r.cost.toFixed(1).padStart(5)} ${r.equity.toFixed(2).padStart(11)} ${r.position.toFixed(4).padStart(10)}`,
    ),
    `total reward ${report.episode.total_reward.toFixed(6)}, total cost ${report.episode.total_cost}`,
  ];
  return lines.join('\n');
}
