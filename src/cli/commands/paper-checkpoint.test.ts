/**
 * `bulwark paper --agent CHECKPOINT`: a tiny seeded PPO-Lag policy (discrete, and Box) trained in the test runs
 * on a replay through the full chain, and decides as `bulwark backtest` decides with the same checkpoint.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../../data/index.js';
import { runBacktestCommand } from './backtest.js';
import { type PaperFlags, runPaperCommand } from './paper.js';
import { runTrain } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-paper-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'bars.csv');

const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return fn().finally(() => spy.mockRestore());
};

async function train(name: string, env: string): Promise<string> {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    [
      'train: { algorithm: ppo-lag, seed: 3, epochs: 2, numEnvs: 2, rolloutSteps: 16, hiddenSizes: [8], updateEpochs: 1, numMinibatches: 2 }',
      'task:',
      '  data: regime:bars=600,seed=3',
      `  env: ${env}`,
      'checkpointEvery: 1',
    ].join('\n'),
  );
  const out = join(dir, name);
  await quiet(() => runTrain({ config, out, progress: false }));
  return out;
}

let discrete = '';
let box = '';
beforeAll(async () => {
  await writeBarsCsv(file, generateSynthetic(parseSynthSpec('regime:bars=300,seed=11')));
  discrete = await train('discrete', '{ episodeLength: 16, windowSize: 4, actions: { targetLevels: [0, 0.5, 1] } }');
  box = await train('box', '{ episodeLength: 16, windowSize: 4, actionType: box }');
}, 240_000);

const flags = (agent: string, session: string): PaperFlags => ({
  agent,
  feed: `replay:${file},speed=max`,
  session,
  cash: '10000',
  feesBps: '10',
  onStop: 'cancel',
  json: true,
  seed: '0',
  redisPrefix: 'bulwark:ks:',
});

describe('bulwark paper --agent CHECKPOINT', () => {
  for (const kind of ['discrete', 'box'] as const) {
    it(`a ${kind} policy trades on the replay and writes the decisions a backtest of the same checkpoint writes`, async () => {
      const run = kind === 'discrete' ? discrete : box;
      const session = join(dir, `${kind}-paper`);
      const lines: string[] = [];
      await runPaperCommand(flags(run, session), (t) => lines.push(t), new EventEmitter());
      const rows = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as { outcome: string });
      expect(rows).toHaveLength(299);
      expect(rows.some((r) => r.outcome === 'SUBMITTED')).toBe(true);
      const out = join(dir, `${kind}-backtest`);
      await runBacktestCommand({ data: file, agent: run, seed: '0', feesBps: '10', cash: '10000', out, json: true });
      for (const f of ['decisions.csv', 'trades.csv']) {
        expect(readFileSync(join(session, f), 'utf8'), f).toBe(readFileSync(join(out, f), 'utf8'));
      }
    }, 120_000);
  }

  it('a session on another trading day than training warns on stderr; the training day does not', async () => {
    const stderrOf = async (extra: Partial<PaperFlags>, name: string): Promise<string> => {
      let err = '';
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        err += String(chunk);
        return true;
      });
      try {
        await runPaperCommand({ ...flags(discrete, join(dir, name)), ...extra }, () => undefined, new EventEmitter());
      } finally {
        spy.mockRestore();
      }
      return err;
    };
    expect(await stderrOf({ dayStart: '17:00', timezone: 'America/New_York' }, 'day-ny')).toMatch(
      /Warning: trading day differs from training: trained on UTC days, this session uses days from 17:00 America\/New_York/,
    );
    expect(await stderrOf({}, 'day-utc')).not.toMatch(/trading day differs/);
  }, 120_000);

  it('a path that is neither a rule agent nor a checkpoint is refused by name', async () => {
    await expect(runPaperCommand(flags(join(dir, 'nope'), join(dir, 'x')), () => undefined, new EventEmitter())).rejects.toThrow(/--agent/);
  });
});
