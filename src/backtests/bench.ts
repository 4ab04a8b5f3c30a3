/**
 * `bulwark bench backtest`: sma-cross over 1,000,000 synthetic bars through the full chain — Constraint
 * Logic Engine mask and locks on every bar, the risk gatekeeper on every order, the signed audit log on
 * every order, fill and state change — and reports bars per second of the run itself (data generation and
 * report writing excluded; metrics and the trade list included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bars, sliceBars } from '../core/index.js';
import { parseRules } from '../constraints/index.js';
import { generateSynthetic } from '../data/index.js';
import { parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { type AuditSink, discardAuditSink } from '../security/index.js';
import { backtestInstrument } from './backtest-job.js';
import { createRuleAgent } from './rule-agents.js';
import { openRunAudit } from './run-audit.js';
import { runBacktest } from './runner.js';

export interface BacktestBenchOptions {
  readonly json: boolean;
  readonly scale: number;
}

export async function benchBacktest(options: BacktestBenchOptions): Promise<Record<string, unknown>> {
  const nBars = Math.max(1_000, Math.round(1_000_000 * options.scale));
  const bars = generateSynthetic({ model: 'regime', bars: nBars, seed: 7 });
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-backtest-'));
  const audit = openRunAudit(dir);
  const agent = createRuleAgent('sma-cross:fast=10,slow=30,size=0.15');
  const run = (b: Bars, log: AuditSink) =>
    runBacktest({
      bars: b,
      instrument: backtestInstrument('SYNTH/USD'),
      agent,
      initialCash: 10_000,
      rules: parseRules({ max_position_pct: 0.2, max_drawdown_pct: 0.5, daily_loss_limit_pct: 0.1 }),
      risk: parseGatekeeperConfig({ drawdownHaltPct: 0.6, dailyLossLimitPct: 0.2 }),
      audit: log,
      benchmark: false,
    });
  try {
    // Warm-up on the first 1/32 of the bars (compiles the hot loop), as any steady-state measurement does.
    await run(sliceBars(bars, 0, Math.max(1_000, nBars >> 5)), discardAuditSink);
    const started = process.hrtime.bigint();
    const rec = await run(bars, audit.log);
    audit.log.close();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      benchmark: 'backtest',
      agent: agent.label,
      chain: 'mask+locks, gatekeeper, sim fills, signed audit log',
      bars: nBars,
      seconds: Number(seconds.toFixed(3)),
      bars_per_sec: Math.round(nBars / seconds),
      orders: rec.fills.length,
      n_trades: rec.metrics.n_trades,
      masked: rec.metrics.proposals_blocked_by_rules,
      rejections: rec.metrics.rejections,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
