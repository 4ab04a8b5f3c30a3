/**
 * `bulwark bench mask`: the cost of one mask with every rule on (p50/p99, each call timed alone, the
 * timer's own cost subtracted) and the throughput of the batched form for a VecEnv of 64.
 */
import { Rng, MS_PER_DAY } from '../core/index.js';
import { compileRules } from './compile.js';
import { computeActionMask, computeActionMasks, writeActionMask } from './mask.js';
import { parseRules } from './rules-schema.js';
import { type ConstraintState, createConstraintState } from './state.js';

const NUM_ENVS = 64;

/** Every rule on, with limits that leave a realistic mix of allowed and masked actions. */
const ALL_RULES = {
  max_position_pct: 0.5,
  max_order_pct: 0.2,
  max_drawdown_pct: 0.1,
  drawdown_release_pct: 0.08,
  daily_loss_limit_pct: 0.03,
  max_leverage: 2,
  initial_margin_pct: 0.5,
  long_only: true,
  min_bars_between_trades: 2,
  max_trades_per_day: 40,
  session_windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '00:00', end: '24:00' }],
  allowed_instruments: ['BTC/USDT', 'ETH/USDT'],
  fill_model: { spread_bps: 2, slippage_bound_bps: 5, fee_bps: 5 },
};

function randomStates(rng: Rng, n: number): ConstraintState[] {
  return Array.from({ length: n }, () => {
    const equity = rng.uniform(50_000, 150_000);
    const price = rng.uniform(100, 60_000);
    return createConstraintState({
      symbol: rng.next() < 0.95 ? 'BTC/USDT' : 'XRP/USDT',
      equity,
      peakEquity: equity / (1 - rng.uniform(0, 0.15)),
      price,
      positionQty: (rng.uniform(-0.2, 0.7) * equity) / price,
      dayPnl: -equity * rng.uniform(-0.02, 0.04),
      tradesToday: rng.nextInt(45),
      barsSinceLastTrade: rng.nextInt(6),
      timeMs: Date.UTC(2024, 0, 1) + rng.nextInt(14) * MS_PER_DAY + rng.nextInt(MS_PER_DAY),
    });
  });
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Times `fn` call by call; returns sorted durations in ns with the timer's median cost subtracted. */
function timeEach(calls: number, fn: (i: number) => void): { sorted: Float64Array; timerNs: number } {
  const empty = new Float64Array(20_000);
  for (let i = 0; i < empty.length; i++) {
    const t0 = process.hrtime.bigint();
    empty[i] = Number(process.hrtime.bigint() - t0);
  }
  empty.sort();
  const timerNs = percentile(empty, 0.5);
  const out = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    out[i] = Math.max(0, Number(process.hrtime.bigint() - t0) - timerNs);
  }
  out.sort();
  return { sorted: out, timerNs };
}

export async function benchMask(options: { json: boolean; scale: number }): Promise<Record<string, unknown>> {
  const c = compileRules(parseRules(ALL_RULES, 'bench rules'));
  const rng = new Rng(42);
  const states = randomStates(rng, 1_024);
  const mask = new Uint8Array(c.nActions);
  const bits = new Uint32Array(c.nActions);
  const calls = Math.max(1_000, Math.round(200_000 * options.scale));
  let sink = 0;

  // Warm-up so that the optimising compiler has run before anything is measured.
  for (let i = 0; i < 300_000; i++) sink += writeActionMask(states[i & 1023], c, mask, 0, bits);
  for (let i = 0; i < 50_000; i++) sink += computeActionMask(states[i & 1023], c).mask[1];

  const single = timeEach(calls, (i) => {
    sink += computeActionMask(states[i & 1023], c).mask[1];
  });
  const into = timeEach(calls, (i) => {
    sink += writeActionMask(states[i & 1023], c, mask, 0, bits);
  });

  const batch = states.slice(0, NUM_ENVS);
  const out = new Uint8Array(NUM_ENVS * c.nActions);
  const reasons = new Uint32Array(NUM_ENVS * c.nActions);
  const rounds = Math.max(200, Math.round(100_000 * options.scale));
  // Wall-clock and process CPU time both: on a shared machine the CPU figure is the one not inflated by
  // time spent descheduled.
  const throughput = (withReasons: boolean): { wall: number; cpu: number } => {
    const r = withReasons ? reasons : null;
    for (let i = 0; i < 2_000; i++) computeActionMasks(batch, c, out, r);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) computeActionMasks(batch, c, out, r);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    sink += out[1];
    const masks = rounds * NUM_ENVS;
    return { wall: Math.round(masks / seconds), cpu: Math.round(masks / ((cpu.user + cpu.system) / 1e6)) };
  };
  const batched = throughput(false);
  const batchedWithReasons = throughput(true);
  const allowedShare = states.reduce((acc, s) => acc + computeActionMask(s, c).mask.reduce((a, b) => a + b, 0), 0) / (states.length * c.nActions);

  return {
    benchmark: 'mask',
    rules: 'all on',
    n_actions: c.nActions,
    allowed_share: Number(allowedShare.toFixed(3)),
    samples: calls,
    timer_overhead_ns: single.timerNs,
    p50_ns: percentile(single.sorted, 0.5),
    p99_ns: percentile(single.sorted, 0.99),
    p50_ns_alloc_free: percentile(into.sorted, 0.5),
    p99_ns_alloc_free: percentile(into.sorted, 0.99),
    num_envs: NUM_ENVS,
    batched_masks_per_sec: batched.wall,
    batched_masks_per_cpu_sec: batched.cpu,
    batched_masks_per_sec_with_reasons: batchedWithReasons.wall,
    batched_masks_per_cpu_sec_with_reasons: batchedWithReasons.cpu,
    target_p99_ns: 2_000,
    target_batched_masks_per_sec: 10_000_000,
    checksum: sink % 1_000,
  };
}
