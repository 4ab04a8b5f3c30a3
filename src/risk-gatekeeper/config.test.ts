import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/index.js';
import { limitsFor, parseGatekeeperConfig } from './config.js';
import { REJECT_REASONS, renderRejection } from './reasons.js';
import { parseScope } from './trading-state.js';

describe('gatekeeper config', () => {
  it('parse_when_empty_then_every_default_is_filled', () => {
    const c = parseGatekeeperConfig({});
    expect(c.circuitBreakerActionsPerMin).toBe(100);
    expect(c.failClosedState).toBe('HALTED');
    expect(c.limits.maxOrderNotionalQuote).toBe(100_000);
  });

  it('parse_when_several_fields_are_wrong_then_reports_all_of_them_with_paths', () => {
    let err: unknown;
    try {
      parseGatekeeperConfig({ collarPct: -1, maxOpenOrders: 2.5, limits: { maxOrderQty: 0 }, colarPct: 3 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const paths = err instanceof ValidationError ? err.issues.map((i) => i.path).sort() : [];
    expect(paths).toEqual(['', 'collarPct', 'limits.maxOrderQty', 'maxOpenOrders']);
    expect(String(err)).toContain("unknown field 'colarPct'");
  });

  it('client_id_capacity_above_its_ceiling_is_refused_naming_the_field_and_why', () => {
    expect(() => parseGatekeeperConfig({ clientIdCapacity: 1e9 })).toThrow(/clientIdCapacity.*at most 10,000,000 \(its memory is reserved at start\)/);
    expect(parseGatekeeperConfig({ clientIdCapacity: 10_000_000 }).clientIdCapacity).toBe(10_000_000);
  });

  it('pct_fields_are_fractions_and_an_old_percent_config_is_refused_with_both_readings_and_what_to_write', () => {
    const c = parseGatekeeperConfig({});
    expect([c.collarPct, c.dailyLossLimitPct, c.drawdownHaltPct]).toEqual([0.05, 0.05, 0.2]);
    let err: unknown;
    try {
      parseGatekeeperConfig({ collarPct: 5, drawdownHaltPct: 20, dailyLossLimitPct: 1 }, 'gk.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const issues = err instanceof ValidationError ? err.issues.map((i) => `${i.path}: ${i.message}`) : [];
    const note = "(gatekeeper *Pct fields were percents before; they are fractions now, like the rules' _pct)";
    expect(issues).toEqual([
      `collarPct: is a fraction (0.2 = 20 %): 5 would mean 500 % of the trusted price; if you meant 5 %, write 0.05 ${note}`,
      `dailyLossLimitPct: is a fraction (0.2 = 20 %): 1 would mean 100 % of the day-start equity; if you meant 1 %, write 0.01 ${note}`,
      `drawdownHaltPct: is a fraction (0.2 = 20 %): 20 would mean 2,000 % drawdown from peak; if you meant 20 %, write 0.2 ${note}`,
    ]);
    expect(parseGatekeeperConfig({ drawdownHaltPct: 0.999 }).drawdownHaltPct).toBe(0.999);
  });

  it('limits_for_a_symbol_merge_its_overrides_over_the_defaults', () => {
    const c = parseGatekeeperConfig({ limits: { maxOrderQty: 2 }, instruments: { 'ETH/USD': { maxPositionQty: 7 } } });
    expect(limitsFor(c, 'ETH/USD')).toMatchObject({ maxOrderQty: 2, maxPositionQty: 7 });
    expect(limitsFor(c, 'BTC/USD').maxPositionQty).toBe(1_000_000);
  });
});

describe('reasons and scopes', () => {
  it('every_reason_code_is_documented_and_renders_as_code_key_value', () => {
    for (const [code, doc] of Object.entries(REJECT_REASONS)) expect(doc.length, code).toBeGreaterThan(10);
    expect(renderRejection({ code: 'PRICE_COLLAR', detail: { trusted: 100, got: 106.5, maxPct: 0.05 } })).toBe(
      'PRICE_COLLAR: trusted=100, got=106.5, maxPct=0.05',
    );
  });

  it('parse_scope_accepts_the_three_forms_and_names_the_problem_otherwise', () => {
    expect(parseScope('global')).toBe('global');
    expect(parseScope('agent:a-1')).toBe('agent:a-1');
    expect(parseScope('instrument:BTC/USD')).toBe('instrument:BTC/USD');
    expect(() => parseScope('agent:')).toThrow(/non-empty/);
    expect(() => parseScope('desk:1')).toThrow(/global, agent:ID or instrument:SYMBOL/);
  });
});
