/**
 * `bulwark bench paper`: a paper session on a `speed=max` replay through the full chain — mask, sizing,
 * gatekeeper with the kill-switch store, the journaled paper venue (fsync every 4096 bars) and a signed audit
 * log — and the time from a bar's arrival to its decision reaching the venue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRules } from '../constraints/index.js';
import { generateSynthetic, writeBarsCsv } from '../data/index.js';
import { parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { AuditLog, generateAuditKeyPair } from '../security/index.js';
import { backtestInstrument, createRuleAgent } from '../backtests/index.js';
import type { PpoLagCheckpoint } from '../agents/index.js';
import { loadLiveCheckpointAgent } from './checkpoint-agent.js';
import { openFeed } from './open-feed.js';
import { type PaperSessionOptions, PaperSession } from './session.js';

/** Bars of the replay the 64×64 policy decides on (at scale 1; at least 500). */
const POLICY_BARS = 2_000;
/**
 * A replay ten times longer (at scale 1; at least twice the short one): the p99 of its last short-replay-many
 * decisions against the short replay's shows whether a decision's cost grows with the session (it did while the
 * features were recomputed over the whole history).
 */
const POLICY_LONG_BARS = 10 * POLICY_BARS;

export async function benchPaper(options: { scale: number }): Promise<Record<string, unknown>> {
  const nBars = Math.max(2_000, Math.round(300_000 * options.scale));
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-paper-'));
  try {
    const file = join(dir, 'bars.csv');
    await writeBarsCsv(file, generateSynthetic({ model: 'regime', bars: nBars, seed: 7 }));
    const run = async (name: string, latencies: Float64Array | null, agent?: Pick<PaperSessionOptions, 'agent' | 'observe' | 'obsDim'>, replay = file): Promise<number> => {
      const { feed } = await openFeed(`replay:${replay},speed=max`);
      const audit = AuditLog.open({ path: join(dir, `${name}.audit.jsonl`), signingKey: generateAuditKeyPair().privateKeyPem, checkpointEvery: 10_000, sealTimer: false });
      let k = 0;
      const session = PaperSession.open({
        sessionId: name,
        dir: join(dir, name),
        feed,
        instrument: backtestInstrument('DATA/QUOTE'),
        agent: createRuleAgent('sma-cross:fast=10,slow=30,size=0.15'),
        ...agent,
        initialCash: 10_000,
        rules: parseRules({ max_position_pct: 0.2, max_drawdown_pct: 0.5, daily_loss_limit_pct: 0.1 }),
        risk: parseGatekeeperConfig({ drawdownHaltPct: 0.6, dailyLossLimitPct: 0.2 }),
        audit,
        ...(latencies === null ? {} : { onBarLatencyNs: (ns: number) => { if (k < latencies.length) latencies[k++] = ns; } }),
      });
      const started = process.hrtime.bigint();
      await session.run();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      session.close();
      audit.close();
      return seconds;
    };
    await run('warmup', null);
    const seconds = await run('throughput', null);
    const latencies = new Float64Array(nBars);
    await run('latency', latencies);
    latencies.sort();
    const q = (p: number) => latencies[Math.min(nBars - 1, Math.floor(p * nBars))] / 1000;
    const policy = await policyLatency(dir, options.scale, async (name, replay, agent, out) => {
      await run(name, out, agent, replay);
    });
    return {
      benchmark: 'paper',
      bars: nBars,
      bars_per_sec: Math.round(nBars / seconds),
      decision_p50_us: Number(q(0.5).toFixed(2)),
      decision_p99_us: Number(q(0.99).toFixed(2)),
      decision_p50_us_policy64: policy.p50,
      decision_p99_us_policy64: policy.p99,
      decision_p99_us_policy64_late: policy.lateP99,
      policy64_bars: policy.bars,
      policy64_late_bars: policy.lateBars,
      note:
        'replay speed=max, sma-cross, rules + gatekeeper, journal (fsync every 4096 bars) and signed audit log; ' +
        `*_policy64: a PPO-Lag policy with hidden layers 64x64 (1 seeded training epoch) on a policy64_bars-bar replay; *_policy64_late: the same policy's decisions policy64_late_bars of a longer replay (features streamed, one bar per decision: no growth with session length)`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Trains a 64×64 PPO-Lag policy for one short seeded epoch, writes its checkpoint and times its decisions. */
async function policyLatency(
  dir: string,
  scale: number,
  run: (name: string, replay: string, agent: Pick<PaperSessionOptions, 'agent' | 'observe' | 'obsDim'>, latencies: Float64Array) => Promise<void>,
): Promise<{ p50: number; p99: number; lateP99: number; bars: number; lateBars: string }> {
  const shortBars = Math.max(500, Math.min(POLICY_BARS, Math.round(POLICY_BARS * scale)));
  const longBars = Math.max(2 * shortBars, Math.round(POLICY_LONG_BARS * scale));
  const { describeTrainedEnv, regimeDataset, trainPpoLag, tradingVecEnvFactory, writeCheckpointFile } = await import('../agents/index.js');
  const dataset = regimeDataset(600, 3);
  const env = { windowSize: 8, episodeLength: 32, actions: { targetLevels: [0, 0.5, 1] } };
  const last: { c: PpoLagCheckpoint | null } = { c: null };
  const trained = await trainPpoLag({
    makeVecEnv: tradingVecEnvFactory(dataset, env),
    numEnvs: 2,
    rolloutSteps: 32,
    epochs: 1,
    hiddenSizes: [64, 64],
    updateEpochs: 1,
    numMinibatches: 2,
    seed: 5,
    onCheckpoint: (c) => {
      last.c = c;
    },
  });
  trained.policy.dispose();
  if (last.c === null) throw new Error('bench paper: the policy run wrote no checkpoint');
  const path = join(dir, 'policy64', 'last.json');
  await writeCheckpointFile(path, { ...last.c, env: describeTrainedEnv(dataset, env, { useMask: true }) });
  const replay = join(dir, 'policy-bars.csv');
  await writeBarsCsv(replay, generateSynthetic({ model: 'regime', bars: longBars, seed: 8 }));
  const short = join(dir, 'policy-bars-short.csv');
  await writeBarsCsv(short, generateSynthetic({ model: 'regime', bars: shortBars, seed: 8 }));
  // A fresh agent per replay: the feature stream follows one session's bars.
  const timed = async (name: string, file: string, bars: number): Promise<Float64Array> => {
    const loaded = await loadLiveCheckpointAgent(path, 3_600_000);
    const latencies = new Float64Array(bars);
    await run(name, file, { agent: loaded.agent, observe: loaded.observe, obsDim: loaded.obsDim }, latencies);
    return latencies;
  };
  const p = (xs: Float64Array, q: number): number => {
    const sorted = Float64Array.from(xs).sort();
    return Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000).toFixed(2));
  };
  const early = await timed('policy', short, shortBars);
  const late = (await timed('policy-long', replay, longBars)).subarray(longBars - shortBars);
  return { p50: p(early, 0.5), p99: p(early, 0.99), lateP99: p(late, 0.99), bars: shortBars, lateBars: `${longBars - shortBars}-${longBars}` };
}
