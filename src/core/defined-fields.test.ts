import { describe, expect, it } from 'vitest';
import { definedFields } from './defined-fields.js';

describe('definedFields', () => {
  it('drops exactly the undefined-valued keys: null, 0, false, empty string and NaN stay; order is kept', () => {
    const out = definedFields({ a: 1, b: undefined, c: null, d: 0, e: false, f: '', g: Number.NaN, h: undefined });
    expect(out).toEqual({ a: 1, c: null, d: 0, e: false, f: '', g: Number.NaN });
    expect(Object.keys(out)).toEqual(['a', 'c', 'd', 'e', 'f', 'g']);
    expect('b' in out).toBe(false);
    expect('h' in out).toBe(false);
  });

  it('so a spread over defaults keeps a default the caller left undefined', () => {
    const defaults = { seed: 7, out: 'runs/x' };
    const given: { seed?: number | undefined; out?: string | undefined } = { seed: undefined, out: 'runs/y' };
    expect({ ...defaults, ...given }).toEqual({ seed: undefined, out: 'runs/y' });
    expect({ ...defaults, ...definedFields(given) }).toEqual({ seed: 7, out: 'runs/y' });
  });

  it('returns a new object and leaves its argument alone', () => {
    const given = { a: 1, b: undefined };
    const out = definedFields(given);
    expect(out).not.toBe(given);
    expect(Object.keys(given)).toEqual(['a', 'b']);
    expect(definedFields({})).toEqual({});
  });

  it('types: a key that may be undefined becomes optional (and no longer holds undefined); the others stay required', () => {
    const maybe = (v: number): number | undefined => (v > 0 ? v : undefined);
    const out = definedFields({ always: 'x', sometimes: maybe(1) });
    const always: string = out.always;
    // @ts-expect-error `sometimes` may be missing: reading it as a plain number does not type-check.
    const sometimes: number = out.sometimes;
    const narrowed: number = out.sometimes ?? 0;
    expect([always, sometimes, narrowed]).toEqual(['x', 1, 1]);
  });
});
