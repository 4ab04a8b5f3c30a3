import { describe, expect, it } from 'vitest';
import { testRedisUrl } from '../../test-support/redis-server.js';
import { runCommand } from '../test-helpers/run-command.js';
import { registerBenchCommand } from './bench.js';

async function bench(args: string[]): Promise<Record<string, unknown>> {
  const { out } = await runCommand(registerBenchCommand, ['bench', ...args]);
  expect(out.trim().split('\n')).toHaveLength(1); // --json: one object, one line
  return JSON.parse(out) as Record<string, unknown>;
}

/** The keys the issues and the README promise, per benchmark. Behaviour only: figures are not judged here. */
const KEYS: Record<string, readonly string[]> = {
  mask: ['p50_ns', 'p99_ns', 'batched_masks_per_sec'],
  gatekeeper: ['check_p50_ns', 'check_p99_ns'],
  audit: ['events_per_sec', 'verify_events_per_sec'],
  env: ['steps_per_sec_single', 'steps_per_sec_vec', 'obs_dim', 'n_envs'],
  data: ['loadCsvRowsPerSec'],
  backtest: ['bars_per_sec'],
  paper: ['bars_per_sec', 'decision_p50_us', 'decision_p99_us', 'decision_p99_us_policy64', 'decision_p99_us_policy64_late'],
  train: ['env_steps_per_sec', 'rollout_sec', 'update_sec', 'update_ms_per_minibatch', 'threads'],
  killswitch: ['propagation_p50_ms', 'propagation_p99_ms'],
  startup: ['help_ms', 'status_ms', 'backtest_small_ms', 'node_baseline_ms'],
};

describe('bulwark bench', () => {
  it.each(Object.entries(KEYS))('bench_%s_at_a_small_scale_prints_one_json_object_with_its_figures', async (name, keys) => {
    const redis = name === 'killswitch' || name === 'startup' ? ['--redis', testRedisUrl()] : [];
    const result = await bench([name, '--json', '--scale', '0.01', ...redis]);
    for (const key of keys) {
      const v = result[key];
      expect(typeof v === 'number' && Number.isFinite(v) && v > 0, `${name}.${key} = ${String(v)}`).toBe(true);
    }
    if (name === 'train') {
      expect(['tensorflow', 'wasm', 'cpu']).toContain(result.backend);
      expect(['fused', 'tfjs']).toContain(result.update_kernel);
    }
  }, 60_000);

  it('bench_killswitch_restart_on_its_own_redis_server_prints_the_time_to_fail_closed', async () => {
    const result = await bench(['killswitch', '--restart', '--json', '--scale', '0.05']);
    for (const key of ['restart_to_fail_closed_p99_ms', 'wipe_to_fail_closed_p99_ms']) {
      expect(typeof result[key] === 'number' && Number.isFinite(result[key]) && result[key] > 0, key).toBe(true);
    }
    expect(result).toMatchObject({ bench: 'killswitch-restart', gatekeepers: 8, trials: 3 });
    await expect(bench(['killswitch', '--restart', '--redis', testRedisUrl()])).rejects.toThrow(/only on its own redis-server/);
  }, 60_000);

  it('bench_queue_with_tiny_counts_runs_two_real_worker_processes_on_its_own_redis_and_prints_its_figures', async () => {
    const result = await bench(['queue', '--json', '--scale', '0.002']);
    for (const key of ['jobs_per_sec', 'seconds', 'latency_p50_ms', 'latency_p99_ms']) {
      expect(typeof result[key] === 'number' && Number.isFinite(result[key]) && result[key] > 0, key).toBe(true);
    }
    expect(result).toMatchObject({ bench: 'queue', job_kind: 'noop', workers: 2, jobs: 40, latency_jobs: 10, duplicates: 0, redis: 'own redis-server' });
    expect(result.latency_p99_ms as number).toBeGreaterThanOrEqual(result.latency_p50_ms as number);
  }, 240_000);

  it('an_unknown_benchmark_or_a_bad_scale_is_refused_naming_the_choices_or_the_flag', async () => {
    await expect(bench(['nope', '--json'])).rejects.toThrow("bench: unknown benchmark 'nope'; choose one of: gatekeeper, killswitch, mask");
    await expect(bench(['mask', '--scale', '0'])).rejects.toThrow("--scale: must be a number > 0, got '0'");
  });
});
