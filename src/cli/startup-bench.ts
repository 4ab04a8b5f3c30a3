/**
 * `bulwark bench startup`: wall-clock time of whole `bulwark` processes, as a user at a shell sees it, next to
 * `node -e 0` measured in the same run (so a busy machine slows both alike): `--help`, `status` against Redis,
 * and a small rule-agent backtest. Target: help_ms <= 2 × node_baseline_ms. Runs are interleaved and the
 * median of each is reported.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI entry: beside this file in dist/, or dist/cli/main.js of the package when run from src/. */
function cliEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'main.js'), resolve(here, '..', '..', 'dist', 'cli', 'main.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('bench startup: the built CLI (dist/cli/main.js) is missing; run npm run build first');
}

/** Milliseconds one process takes from spawn to exit; a non-zero exit fails the benchmark with its stderr. */
function timeProcess(label: string, args: readonly string[], okExitCodes: readonly number[] = [0]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: process.env });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status === null || !okExitCodes.includes(r.status)) {
    const why = (r.stderr || r.error?.message || `exit ${String(r.status)}`).trim().split('\n')[0];
    throw new Error(`bench startup: ${label} failed: ${why}`);
  }
  return ms;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `status` exits 1 when it raises an alarm (e.g. a fresh store with no epoch): an answer, timed like any other. */
const STATUS_ANSWERED = [0, 1];

const round1 = (x: number) => Math.round(x * 10) / 10;

export async function benchStartup(options: { readonly scale: number; readonly redisUrl?: string }): Promise<Record<string, unknown>> {
  const entry = cliEntry();
  const runs = Math.max(1, Math.round(9 * options.scale));
  const redis = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bulwark:bench-startup:${process.pid}:`;
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-startup-'));
  const samples = { node_baseline_ms: [] as number[], help_ms: [] as number[], status_ms: [] as number[], backtest_small_ms: [] as number[] };
  try {
    for (let i = 0; i < runs; i++) {
      samples.node_baseline_ms.push(timeProcess('node -e 0', ['-e', '0']));
      samples.help_ms.push(timeProcess('bulwark --help', [entry, '--help']));
      samples.status_ms.push(timeProcess(`bulwark status (needs Redis at ${redis}: --redis or REDIS_URL)`, [entry, 'status', '--redis', redis, '--prefix', prefix, '--json'], STATUS_ANSWERED));
      const out = join(dir, `bt-${i}`);
      samples.backtest_small_ms.push(timeProcess('bulwark backtest', [entry, 'backtest', '--synth', 'regime:bars=2000,seed=1', '--agent', 'sma-cross', '--out', out, '--json']));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const baseline = median(samples.node_baseline_ms);
  const help = median(samples.help_ms);
  return {
    help_ms: round1(help),
    status_ms: round1(median(samples.status_ms)),
    backtest_small_ms: round1(median(samples.backtest_small_ms)),
    node_baseline_ms: round1(baseline),
    help_over_baseline: Math.round((help / baseline) * 100) / 100,
    target_help_ms: round1(2 * baseline),
    help_within_target: help <= 2 * baseline,
    runs,
    entry,
    notes: 'wall-clock medians of whole processes, interleaved; status reads Redis (--redis or REDIS_URL); backtest_small is sma-cross over 2,000 synthetic bars',
  };
}
