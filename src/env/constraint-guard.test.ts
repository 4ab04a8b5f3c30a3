import { describe, expect, it } from 'vitest';
import { barsFromRecords } from '../core/index.js';
import { parseTradingEnvConfig } from './config.js';
import { ConstraintGuard } from './constraint-guard.js';
import { createDataset } from './dataset.js';

const bars = barsFromRecords(Array.from({ length: 80 }, (_, i) => ({ time: i * 3_600_000, open: 100, high: 100, low: 100, close: 100, volume: 1e6 })));

describe('ConstraintGuard (the env’s strict/lenient policy)', () => {
  it('a_strict_guard_refuses_every_box_proposal_on_an_invalid_state_rather_than_admitting_flat', () => {
    const config = parseTradingEnvConfig({ actionType: 'box' });
    const guard = new ConstraintGuard({ rules: {}, mode: 'strict' }, 1, config, createDataset({ bars }));
    // What the chain writes for a state it cannot judge: [NaN, NaN], both ends INVALID_STATE.
    guard.targetIntervals.set([Number.NaN, Number.NaN]);
    guard.targetReasonBits.set([1, 1]);
    expect(() => guard.admitTarget(0, 0)).toThrow('target 0 is outside the allowed interval [NaN, NaN]: INVALID_STATE');
  });

  it('lenient mode counts a masked action and a target outside the interval, strict mode throws naming the rules', () => {
    const config = parseTradingEnvConfig({});
    const lenient = new ConstraintGuard({ rules: {}, mode: 'lenient' }, 1, config, createDataset({ bars }));
    lenient.reasonBits[2] = 1 << 5; // BUY_LARGE masked by MAX_POSITION_PCT
    lenient.admit(0, 2);
    expect([lenient.violations[0], lenient.lastViolation[0]]).toEqual([1, 2]);
    lenient.admit(0, 1);
    expect([lenient.violations[0], lenient.lastViolation[0]]).toEqual([1, -1]);
    const strict = new ConstraintGuard({ rules: {} }, 1, config, createDataset({ bars }));
    strict.reasonBits[2] = 1 << 5;
    expect(() => strict.admit(0, 2)).toThrow('action 2 (BUY_LARGE) is masked: MAX_POSITION_PCT');
  });
});
