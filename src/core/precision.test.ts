import { describe, expect, it } from 'vitest';
import { ceilToTick, decimalsOf, floorToLot, floorToTick, isMultipleOf, roundToTick } from './precision.js';

describe('precision', () => {
  it('rounds prices to the nearest tick without binary noise', () => {
    expect(roundToTick(100.126, 0.01)).toBe(100.13);
    expect(roundToTick(100.124, 0.01)).toBe(100.12);
    expect(roundToTick(0.30000000000000004, 0.1)).toBe(0.3);
    expect(roundToTick(27_123.7, 0.5)).toBe(27_123.5);
  });

  it('rounds a buyer up and a seller down to the tick', () => {
    expect(ceilToTick(100.121, 0.01)).toBe(100.13);
    expect(floorToTick(100.129, 0.01)).toBe(100.12);
    expect(ceilToTick(100.12, 0.01)).toBe(100.12);
  });

  it('floors quantities to the lot, absorbing floating-point error at exact multiples', () => {
    expect(floorToLot(0.3, 0.1)).toBe(0.3); // 0.3 / 0.1 = 2.9999999999999996
    expect(floorToLot(1.23456, 0.001)).toBe(1.234);
    expect(floorToLot(0.0009, 0.001)).toBe(0);
  });

  it('knows the decimals of a step and whether a value is a multiple of it', () => {
    expect(decimalsOf(0.001)).toBe(3);
    expect(decimalsOf(1e-8)).toBe(8);
    expect(decimalsOf(5)).toBe(0);
    expect(isMultipleOf(0.3, 0.1)).toBe(true);
    expect(isMultipleOf(0.35, 0.1)).toBe(false);
  });

  it('regression: accepts large quantities in tiny lots and still refuses half a lot off', () => {
    expect(isMultipleOf(100, 1e-8)).toBe(true);
    expect(isMultipleOf(12_345.67891234, 1e-8)).toBe(true);
    expect(isMultipleOf(1.000000005, 1e-8)).toBe(false);
    expect(isMultipleOf(27_123.5, 0.5)).toBe(true);
    expect(isMultipleOf(27_123.25, 0.5)).toBe(false);
  });
});
