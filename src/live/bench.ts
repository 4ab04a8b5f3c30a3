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
import { openFeed } from './open-feed.js';
import { PaperSession } from './session.js';

export async function benchPaper(options: { scale: number }): Promise<Record<string, unknown>> {
  const nBars = Math.max(2_000, Math.round(300_000 * options.scale));
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-paper-'));
  try {
    const file = join(dir, 'bars.csv');
    await writeBarsCsv(file, generateSynthetic({ model: 'regime', bars: nBars, seed: 7 }));
    const run = async (name: string, latencies: Float64Array | null): Promise<number> => {
      const { feed } = await openFeed(`replay:${file},speed=max`);
      const audit = AuditLog.open({ path: join(dir, `${name}.audit.jsonl`), signingKey: generateAuditKeyPair().privateKeyPem, checkpointEvery: 10_000, sealTimer: false });
      let k = 0;
      const session = PaperSession.open({
        sessionId: name,
        dir: join(dir, name),
        feed,
        instrument: backtestInstrument('DATA/QUOTE'),
        agent: createRuleAgent('sma-cross:fast=10,slow=30,size=0.15'),
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
    return {
      benchmark: 'paper',
      bars: nBars,
      bars_per_sec: Math.round(nBars / seconds),
      decision_p50_us: Number(q(0.5).toFixed(2)),
      decision_p99_us: Number(q(0.99).toFixed(2)),
      note: 'replay speed=max, sma-cross, rules + gatekeeper, journal (fsync every 4096 bars) and signed audit log; decision_p99_us with a 64x64 policy is not measured yet',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
