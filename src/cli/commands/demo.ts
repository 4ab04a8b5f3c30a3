/**
 * `bulwark demo` (what `npm start` runs): the longest real path that exists so far — seeded regime-switching
 * market data, a TradingEnv with the sim fill model and cost signals, and a moving-average-crossover baseline
 * through one episode, then a summary. No network, no Redis; a few seconds.
 */
import type { Command } from 'commander';
import { generateSynthetic } from '../../data/index.js';
import { TradingEnv, createDataset } from '../../env/index.js';

const BARS = 20_000;
const EPISODE_STEPS = 4_000;
const FAST_BARS = 24;
const SLOW_BARS = 96;
/** Share of equity held long while the fast average is above the slow one. */
const LONG_FRACTION = 0.18;

interface DemoSummary {
  data: string;
  policy: string;
  steps: number;
  start_bar: number;
  initial_equity: number;
  final_equity: number;
  total_return: number;
  buy_and_hold_return: number;
  max_drawdown: number;
  total_cost: number;
  cost_steps: { drawdown: number; position: number; dailyLoss: number };
  trades: number;
  fees: number;
}

/** Mean of the closes of bars (t − n, t]: causal, the policy reads nothing after t. */
function sma(close: Float64Array, t: number, n: number): number {
  let s = 0;
  for (let i = t - n + 1; i <= t; i++) s += close[i];
  return s / n;
}

export function runDemo(seed: number): DemoSummary {
  const bars = generateSynthetic({ model: 'regime', bars: BARS, seed });
  const dataset = createDataset({ bars });
  // Actions: 0 HOLD, 1 go flat, 2 go LONG_FRACTION long.
  const env = new TradingEnv({
    dataset,
    config: { seed, episodeLength: EPISODE_STEPS, actions: { targetLevels: [0, LONG_FRACTION] }, split: { part: 'test' } },
  });
  const close = bars.close;
  env.reset();
  const start = env.sim.startIndex;
  let wantLong = false;
  let steps = 0;
  let totalCost = 0;
  let maxDrawdown = 0;
  let trades = 0;
  const costSteps = { drawdown: 0, position: 0, dailyLoss: 0 };
  let r;
  do {
    const t = env.sim.t;
    const signal = t >= SLOW_BARS - 1 && sma(close, t, FAST_BARS) > sma(close, t, SLOW_BARS);
    const action = signal === wantLong ? 0 : signal ? 2 : 1;
    wantLong = signal;
    r = env.step(action);
    steps++;
    totalCost += r.cost;
    if (r.info.fill.qty !== 0) trades++;
    for (const k of ['drawdown', 'position', 'dailyLoss'] as const) if (r.info.costs[k] > 0) costSteps[k]++;
    const s = r.info.state;
    maxDrawdown = Math.max(maxDrawdown, (s.peakEquity - s.equity) / s.peakEquity);
  } while (!r.terminated && !r.truncated);
  const initial = env.config.initialCash;
  return {
    data: `regime-switching synthetic market, ${BARS} hourly bars, seed ${seed} (episode drawn from the test split)`,
    policy: `moving-average crossover: ${LONG_FRACTION * 100} % long while SMA(${FAST_BARS}) > SMA(${SLOW_BARS}), else flat`,
    steps,
    start_bar: start,
    initial_equity: initial,
    final_equity: r.info.equity,
    total_return: r.info.equity / initial - 1,
    buy_and_hold_return: close[env.sim.t] / close[start] - 1,
    max_drawdown: maxDrawdown,
    total_cost: totalCost,
    cost_steps: costSteps,
    trades,
    fees: r.info.feesTotal,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the embedded demo: synthetic market → trading env → baseline policy → summary')
    .option('--seed <n>', 'seed of the market and the episode', '7')
    .option('--json', 'print one JSON object', false)
    .action((opts: { seed: string; json: boolean }) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed: must be a whole number >= 0, got '${opts.seed}'`);
      const s = runDemo(seed);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(s)}\n`);
        return;
      }
      const rows: [string, string][] = [
        ['data', s.data],
        ['policy', s.policy],
        ['steps', `${s.steps} (from bar ${s.start_bar})`],
        ['final equity', `${s.final_equity.toFixed(2)} (from ${s.initial_equity.toFixed(2)})`],
        ['return', `${pct(s.total_return)} (buy and hold: ${pct(s.buy_and_hold_return)})`],
        ['max drawdown', pct(s.max_drawdown)],
        ['total cost', `${s.total_cost} (steps over a limit: drawdown ${s.cost_steps.drawdown}, position ${s.cost_steps.position}, daily loss ${s.cost_steps.dailyLoss})`],
        ['trades', String(s.trades)],
        ['fees', s.fees.toFixed(2)],
      ];
      process.stdout.write(`Bulwark demo\n${rows.map(([k, v]) => `  ${k.padEnd(13)} ${v}`).join('\n')}\n`);
    });
}
