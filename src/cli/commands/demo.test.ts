import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../backtests/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bulwark demo', () => {
  it('trains the three arms, backtests five runs through the chain and writes the report (tiny settings)', async () => {
    const r = await runDemo({ seed: 3, outDir: dir, bars: 2_400, epochs: 1, numEnvs: 2, rolloutSteps: 32 });
    expect(r.rows.map((x) => x.run)).toEqual([
      'PPO (plain, unmasked)',
      'PPO-Lag, unmasked (λ alone)',
      'PPO-Lag + mask',
      'buy-and-hold:size=0.18',
      'PPO-Lag + mask, soft→hard kill',
    ]);
    expect(r.rows[4].kill_switch_events).toBeGreaterThanOrEqual(2);
    // A mask-aware policy never proposes a masked action.
    expect(r.rows[2].masked).toBe(0);
    // The trained rows carry their training cost and final λ; buy-and-hold did not train.
    expect(r.rows[1].final_lambda).not.toBeNull();
    expect(r.rows[3].final_lambda).toBeNull();
    // One comparison table in the report (the demo's columns join it), and every run's audit log verified.
    const html = readFileSync(r.reportPath, 'utf8');
    expect(html.match(/<h2>Comparison<\/h2>/g)).toHaveLength(1);
    expect(html).not.toContain('Demo comparison');
    expect(html).toContain('<th>final λ</th>');
    expect(html.match(/Audit log: <strong class="ok">verified<\/strong>/g)).toHaveLength(5);
    expect(r.table.split('\n').length).toBeGreaterThanOrEqual(7);
    // Both policies are saved as self-describing checkpoints the backtest CLI can load again.
    expect(r.checkpoints.ppoLagMask).toBe(join(dir, 'ppo-lag', 'checkpoints', 'last.json'));
    const saved = JSON.parse(readFileSync(r.checkpoints.ppoLagMask, 'utf8'));
    expect(saved.env.useMask).toBe(true);
    expect(saved.env.windowSize).toBe(16);
    expect(JSON.parse(readFileSync(r.checkpoints.ppo, 'utf8')).env.useMask).toBe(false);
    expect(JSON.parse(readFileSync(r.checkpoints.ppoLag, 'utf8')).env.useMask).toBe(false);
  });
});
