import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/index.js';
import { loadRulesFile, parseRules, parseRulesText } from './rules-schema.js';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('rule set schema', () => {
  it('empty document when parsed then gets the seed defaults (position 20 %, drawdown 10 %, daily loss 3 %)', () => {
    const r = parseRules({});
    expect(r.max_position_pct).toBe(0.2);
    expect(r.max_drawdown_pct).toBe(0.1);
    expect(r.daily_loss_limit_pct).toBe(0.03);
    expect(r.drawdown_lock_release).toBe('recovery');
    expect(r.long_only).toBe(false);
    expect(r.max_order_pct).toBeUndefined();
    expect(r.fill_model).toEqual({ spread_bps: 0, slippage_bound_bps: 0, fee_bps: 0 });
  });

  it('drawdown above 1 when parsed then names the field and both readings of the value', () => {
    expect(issuesOf(() => parseRules({ max_drawdown_pct: 1.5 }))).toEqual([
      'max_drawdown_pct: is a fraction (0.2 = 20 %): 1.5 would mean 150 % drawdown from peak; if you meant 1.5 %, write 0.015',
    ]);
    expect(issuesOf(() => parseRules({ max_drawdown_pct: 250 }))).toEqual([
      'max_drawdown_pct: must be above 0 and at most 1 (a fraction: 0.2 = 20 %), got 250',
    ]);
  });

  it('a _pct field written as a percent when parsed then is refused with both readings, never read as 2,000 %', () => {
    expect(issuesOf(() => parseRules({ max_position_pct: 20 }))).toEqual([
      'max_position_pct: is a fraction (0.2 = 20 %): 20 would mean 2,000 % of equity; if you meant 20 %, write 0.2 ' +
        '(a share above 1 is leverage: allowed only with max_leverage or initial_margin_pct set)',
    ]);
    expect(issuesOf(() => parseRules({ max_order_pct: 5, daily_loss_limit_pct: 3, initial_margin_pct: 50 }))).toEqual([
      'daily_loss_limit_pct: is a fraction (0.2 = 20 %): 3 would mean 300 % of the day-start equity; if you meant 3 %, write 0.03',
      'initial_margin_pct: is a fraction (0.2 = 20 %): 50 would mean 5,000 % of position value; if you meant 50 %, write 0.5',
    ]);
    // Declared leverage makes a share above 1 a choice: 3x exposure is accepted as written.
    expect(parseRules({ max_position_pct: 3, max_leverage: 3 }).max_position_pct).toBe(3);
    expect(parseRules({ max_position_pct: 1 }).max_position_pct).toBe(1);
  });

  it('several bad fields when parsed then reports every violation at once', () => {
    const issues = issuesOf(() =>
      parseRules({
        max_drawdown_pct: 0,
        daily_loss_limit_pct: 'a lot',
        min_bars_between_trades: 1.5,
        long_only: 'yes',
        fill_model: { spread_bps: -1 },
        session_windows: [{ start: '25:00', end: '10:00' }],
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'max_drawdown_pct: must be above 0 and at most 1 (a fraction: 0.2 = 20 %), got 0',
        'daily_loss_limit_pct: must be a number, got "a lot"',
        'min_bars_between_trades: must be a whole number of bars, got 1.5',
        'long_only: must be true or false, got "yes"',
        'fill_model.spread_bps: must be >= 0, got -1',
        'session_windows[0].start: must be a UTC time HH:MM, got "25:00"',
      ]),
    );
    expect(issues).toHaveLength(6);
  });

  it('unknown fields when parsed then are errors, not ignored', () => {
    expect(issuesOf(() => parseRules({ max_positon_pct: 0.2, fill_model: { slipage: 1 } }))).toEqual(
      expect.arrayContaining([": unknown field 'max_positon_pct'", "fill_model: unknown field 'slipage'"]),
    );
  });

  it('release level above the lock level when parsed then is rejected', () => {
    expect(issuesOf(() => parseRules({ max_drawdown_pct: 0.1, drawdown_release_pct: 0.2 }))).toEqual([
      'drawdown_release_pct: must be <= max_drawdown_pct, got 0.2',
    ]);
  });

  it('YAML and JSON texts when parsed then give the same rule set', () => {
    const yaml = parseRulesText('max_position_pct: 0.5\nlong_only: true\nallowed_instruments: [BTC/USDT]\n');
    const json = parseRulesText('{"max_position_pct": 0.5, "long_only": true, "allowed_instruments": ["BTC/USDT"]}');
    expect(yaml).toEqual(json);
    expect(yaml.allowed_instruments).toEqual(['BTC/USDT']);
  });

  it('broken YAML when parsed then is a ValidationError naming the source', () => {
    expect(() => parseRulesText('max_position_pct: [0.5', 'r.yaml')).toThrow(/r\.yaml: not valid YAML\/JSON/);
  });

  it('a missing or directory rules file when loaded then is a ValidationError naming the source and the problem', () => {
    const dir = fileURLToPath(new URL('./fixtures', import.meta.url));
    expect(() => loadRulesFile(`${dir}/no-such-rules.yaml`, '--rules x')).toThrow(ValidationError);
    expect(() => loadRulesFile(`${dir}/no-such-rules.yaml`, '--rules x')).toThrow(/^--rules x: cannot be read \(ENOENT\)$/);
    expect(() => loadRulesFile(dir, '--rules d')).toThrow(/^--rules d: cannot be read \(EISDIR\)$/);
  });

  it('seed fixture when loaded then holds the seed document example rules', () => {
    const r = loadRulesFile(fileURLToPath(new URL('./fixtures/seed-rules.yaml', import.meta.url)));
    expect([r.max_position_pct, r.max_drawdown_pct, r.daily_loss_limit_pct]).toEqual([0.2, 0.1, 0.03]);
  });
});

describe('a rules file that states nothing (issue 15)', () => {
  it('empty_comments_only_or_empty_mapping_is_refused_saying_why_and_what_to_write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-empty-rules-'));
    try {
      for (const [name, text] of [['empty.yaml', ''], ['comments.yaml', '# limits go here\n\n'], ['braces.yaml', '{}\n']]) {
        const path = join(dir, name);
        writeFileSync(path, text);
        expect(() => loadRulesFile(path, `--rules ${name}`)).toThrow(`--rules ${name}: is empty`);
        expect(() => loadRulesFile(path, `--rules ${name}`)).toThrow('leave out --rules');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nan_is_reported_as_nan_not_null', () => {
    expect(() => parseRulesText('max_position_pct: .nan\n', 'r.yaml')).toThrow('r.yaml: max_position_pct: must be a number, got NaN');
  });
});
