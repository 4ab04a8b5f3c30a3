import { describe, expect, it } from 'vitest';
import { parseNumberFlag, parseWholeNumberFlag, parseWholeNumberListFlag, sessionFromFlags } from './flags.js';

describe('whole-number flags', () => {
  it('accepts_whole_numbers_at_or_above_the_bound', () => {
    expect(parseWholeNumberFlag('0', '--seed', 0)).toBe(0);
    expect(parseWholeNumberFlag(' 42 ', '--seed', 0)).toBe(42);
    expect(parseWholeNumberFlag('9007199254740991', '--seed', 0)).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseWholeNumberListFlag('1, 2,3', '--seeds', 0)).toEqual([1, 2, 3]);
  });

  it('refuses_empty_fractional_negative_non_numeric_and_unsafe_values_naming_flag_and_text', () => {
    for (const bad of ['', ' ', '1.5', '-1', 'abc', 'NaN', 'Infinity']) {
      expect(() => parseWholeNumberFlag(bad, '--seed', 0)).toThrow(`--seed: must be a whole number >= 0, got '${bad}'`);
    }
    expect(() => parseWholeNumberFlag('0', '--epochs', 1)).toThrow("--epochs: must be a whole number >= 1, got '0'");
    expect(() => parseWholeNumberFlag('100000000000000000000', '--seed', 0)).toThrow(
      "--seed: must be a whole number below 2^53, got '100000000000000000000'",
    );
    expect(() => parseWholeNumberListFlag('1,,2', '--seeds', 0)).toThrow("--seeds: must be whole numbers >= 0 separated by commas, got '1,,2'");
  });

  it('number_flags_accept_finite_numbers_within_the_bound_and_refuse_the_rest_naming_flag_bound_and_text', () => {
    expect(parseNumberFlag('0.0001', '--price-scale', { above: 0 })).toBe(0.0001);
    expect(parseNumberFlag('0', '--fees-bps', { atLeast: 0 })).toBe(0);
    for (const bad of ['', ' ', '0', '-1', 'abc', 'NaN', 'Infinity']) {
      expect(() => parseNumberFlag(bad, '--price-scale', { above: 0 })).toThrow(`--price-scale: must be a number > 0, got '${bad}'`);
    }
    expect(() => parseNumberFlag('-0.5', '--cash', { atLeast: 0 })).toThrow("--cash: must be a number >= 0, got '-0.5'");
  });
});

describe('trading-day flags', () => {
  it('no_flags_then_utc_days_and_both_flags_then_the_session', () => {
    expect(sessionFromFlags({})).toBeUndefined();
    expect(sessionFromFlags({ dayStart: '17:00', timezone: 'America/New_York' })).toEqual({ timezone: 'America/New_York', dayStartsAt: '17:00' });
    expect(sessionFromFlags({ dayStart: '09:30' })).toEqual({ timezone: 'UTC', dayStartsAt: '09:30' });
    expect(sessionFromFlags({ timezone: 'Europe/London' })).toEqual({ timezone: 'Europe/London', dayStartsAt: '00:00' });
  });

  it('bad_zone_or_time_then_the_error_names_the_flag_and_the_text', () => {
    expect(() => sessionFromFlags({ dayStart: '17:00', timezone: 'New York' })).toThrow(/^--timezone: must be an IANA time zone .*got "New York"$/);
    expect(() => sessionFromFlags({ dayStart: '5pm', timezone: 'UTC' })).toThrow(/^--day-start: must be a local time HH:MM .*got "5pm"$/);
    expect(() => sessionFromFlags({ dayStart: '25:00', timezone: 'Nowhere' })).toThrow(/^--timezone: .*; --day-start: .*"25:00"$/);
  });
});
