/**
 * Train jobs in sandbox tier 1, at the processor (the worker's own code path): a tiny seeded run trains in a capped
 * worker thread to the same metrics, checkpoints and summary as tier 0, with TensorFlow.js loaded in that thread
 * only; a run that outgrows its cap fails naming the tier and the cap; tiers 2-3 and a cap without tier 1 are
 * refused naming the field; a thread that crashes or exits without a result fails naming the tier and the cap.
 * The worker-process side (the worker takes the next job) is in cli/commands/train-queue.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveHome } from '../security/index.js';
import { writeTinyTrainConfig } from '../test-support/tiny-train-config.js';
import { type ProcessorContext, processJob } from './processors.js';
import { runTrainInThread } from './train-in-thread.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-train-tier-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = writeTinyTrainConfig(dir, 'tiny', { checkpointEvery: 1 });
/** The tiny run with two hidden layers of 512: its checkpoints (weights and Adam state as JSON) need far more than 32 MB of heap. */
const hog = join(dir, 'hog.yaml');
writeFileSync(hog, readFileSync(config, 'utf8').replace('hiddenSizes: [8]', 'hiddenSizes: [512, 512]'));

function context(logs: string[] = [], events: Record<string, unknown>[] = []): ProcessorContext {
  return {
    home: resolveHome(join(dir, 'home')),
    workDir: join(dir, 'work'),
    log: (line) => void logs.push(line),
    progress: async (event) => void events.push(event),
  };
}
const read = (...p: string[]): string => readFileSync(join(...p), 'utf8');
/** metrics.csv without its wall-clock columns (time, wallSeconds): what two runs of one seed share. */
function withoutWallClock(csv: string): string {
  const lines = csv.trimEnd().split('\n');
  const header = (lines[0] ?? '').split(',');
  const drop = new Set(['time', 'wallSeconds'].map((c) => header.indexOf(c)));
  expect(drop.has(-1)).toBe(false);
  return lines.map((l) => l.split(',').filter((_, i) => !drop.has(i)).join(',')).join('\n');
}

describe('train job, tier 1', () => {
  it('tiny_seeded_run_in_tier_1_then_same_metrics_checkpoints_and_summary_as_tier_0_and_tfjs_only_in_the_thread', async () => {
    const logs: string[] = [];
    const events: Record<string, unknown>[] = [];
    const t1Out = join(dir, 't1');
    const t1 = await processJob('train', 'j1', { runId: 'r1', runDir: null, config, out: t1Out, tier: 1 }, context(logs, events));
    // TensorFlow.js keeps its engine on the global object of the thread that loads it: not this one.
    expect('_tfengine' in globalThis).toBe(false);
    // The backend report comes from the thread that trained.
    expect(t1.backend).toMatch(/^(tensorflow|wasm|cpu)$/);
    expect(logs.some((l) => l.startsWith(`backend: ${String(t1.backend)}`))).toBe(true);
    expect(events.map((e) => (e.type === 'epoch' ? `epoch ${String((e.row as { epoch: number }).epoch)}` : String(e.type)))).toEqual(['start', 'epoch 1', 'epoch 2']);

    const t0Out = join(dir, 't0');
    const t0 = await processJob('train', 'j0', { runId: 'r0', runDir: null, config, out: t0Out }, context());
    // The probe sees TensorFlow.js when it is here: tier 0 loaded it into this thread.
    expect('_tfengine' in globalThis).toBe(true);
    expect({ ...t1, out: '' }).toEqual({ ...t0, out: '' });
    expect(t1.out).toBe(t1Out);
    expect(withoutWallClock(read(t1Out, 'metrics.csv'))).toBe(withoutWallClock(read(t0Out, 'metrics.csv')));
    const checkpoints = readdirSync(join(t0Out, 'checkpoints')).sort();
    expect(checkpoints.length).toBeGreaterThan(1);
    expect(readdirSync(join(t1Out, 'checkpoints')).sort()).toEqual(checkpoints);
    for (const f of checkpoints) expect(readFileSync(join(t1Out, 'checkpoints', f)).equals(readFileSync(join(t0Out, 'checkpoints', f))), f).toBe(true);
  }, 180_000);

  it('run_outgrowing_a_32_mb_cap_then_the_job_fails_naming_tier_1_and_the_cap', async () => {
    const payload = { runId: 'r2', runDir: null, config: hog, out: join(dir, 'hog'), tier: 1, memoryMb: 32 };
    await expect(processJob('train', 'j2', payload, context())).rejects.toThrow(/^training exceeded the tier-1 memory cap of 32 MB/);
  }, 180_000);

  it('run_failing_in_the_thread_then_the_job_fails_with_the_runs_own_error_as_in_tier_0', async () => {
    const payload = { runId: 'r3', runDir: null, config, out: join(dir, 'nodata'), data: join(dir, 'missing.csv') };
    const t0 = await processJob('train', 'j3', payload, context()).catch((e: unknown) => e as Error);
    const t1 = await processJob('train', 'j4', { ...payload, out: join(dir, 'nodata1'), tier: 1 }, context()).catch((e: unknown) => e as Error);
    expect(t0).toBeInstanceOf(Error);
    expect(t1).toBeInstanceOf(Error);
    expect((t1 as Error).message).toBe((t0 as Error).message.replace(join(dir, 'nodata'), join(dir, 'nodata1')));
  }, 180_000);

  it('tier_2_or_3_or_a_cap_without_tier_1_then_refused_naming_the_field_before_training', async () => {
    const base = { runId: 'r5', runDir: null, config, out: join(dir, 'refused') };
    for (const tier of [2, 3]) {
      await expect(processJob('train', 'j5', { ...base, tier }, context())).rejects.toThrow(/tier.*training runs built-in PPO code, no job code.*tiers 2-3 are for agent code/);
    }
    await expect(processJob('train', 'j6', { ...base, memoryMb: 512 }, context())).rejects.toThrow(/memoryMb.*give tier 1 with it/);
    await expect(processJob('train', 'j7', { ...base, tier: 1, memoryMb: 8 }, context())).rejects.toThrow(/memoryMb/);
    expect(existsSync(join(dir, 'refused'))).toBe(false);
  });
});

describe('train thread crash', () => {
  const crashing = { url: new URL('./test-fixtures/crashing-train-thread.mjs', import.meta.url) };
  const options = (how: string) => ({ run: { config: how }, memoryMb: 64, log: () => undefined, progress: () => undefined });

  it('uncaught_error_in_the_training_thread_then_rejected_naming_tier_1_the_cap_and_the_error', async () => {
    await expect(runTrainInThread(options('throw'), crashing)).rejects.toThrow(/^training thread \(tier 1, memory cap 64 MB\) crashed: boom in the training thread$/);
  });

  it('training_thread_exiting_without_a_result_then_rejected_naming_tier_1_the_cap_and_the_exit_code', async () => {
    await expect(runTrainInThread(options('exit'), crashing)).rejects.toThrow(/^training thread \(tier 1, memory cap 64 MB\) exited with code 3 before reporting a result$/);
  });
});
