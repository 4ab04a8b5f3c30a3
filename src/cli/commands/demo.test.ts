import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../backtests/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bulwark demo', () => {
  it('trains both agents, backtests four runs through the chain and writes the report (tiny settings)', async () => {
    const r = await runDemo({ seed: 3, outDir: dir, bars: 2_400, epochs: 1, numEnvs: 2, rolloutSteps: 32 });
    expect(r.rows.map((x) => x.run)).toEqual([
      'PPO (plain, unmasked)',
      'PPO-Lag + mask',
      'buy-and-hold:size=0.18',
      'PPO-Lag + mask, soft→hard kill',
    ]);
    expect(r.rows[3].kill_switch_events).toBeGreaterThanOrEqual(2);
    // A mask-aware policy never proposes a masked action.
    expect(r.rows[1].masked).toBe(0);
    expect(readFileSync(r.reportPath, 'utf8')).toContain('Demo comparison');
    expect(r.table.split('\n').length).toBeGreaterThanOrEqual(6);
    // Both policies are saved as self-describing checkpoints the backtest CLI can load again.
    expect(r.checkpoints.ppoLag).toBe(join(dir, 'ppo-lag', 'checkpoints', 'last.json'));
    const saved = JSON.parse(readFileSync(r.checkpoints.ppoLag, 'utf8'));
    expect(saved.env.useMask).toBe(true);
    expect(saved.env.windowSize).toBe(16);
    expect(JSON.parse(readFileSync(r.checkpoints.ppo, 'utf8')).env.useMask).toBe(false);
  });
});
