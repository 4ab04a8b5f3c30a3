import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CANONICAL_DEPTH, canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('gives the same text for objects that differ only in key order', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('writes non-finite numbers and bigints as strings instead of losing them to null', () => {
    expect(canonicalJson({ q: NaN, p: Infinity, n: -Infinity, b: 12n })).toBe('{"b":"12","n":"-Infinity","p":"Infinity","q":"NaN"}');
  });

  it('leaves out undefined, functions and symbols in objects and writes null for them in arrays', () => {
    expect(canonicalJson({ a: undefined, f: () => 1, s: Symbol('x'), k: 1 })).toBe('{"k":1}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('writes dates by toJSON, typed arrays as arrays and -0 as 0', () => {
    expect(canonicalJson({ t: new Date(0) })).toBe('{"t":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJson(new Float32Array([1.5, 2]))).toBe('[1.5,2]');
    expect(canonicalJson(-0)).toBe('0');
  });

  it('escapes strings and keys as JSON does', () => {
    expect(canonicalJson({ 'a"b': 'line\nbreak\u2028' })).toBe(JSON.stringify({ 'a"b': 'line\nbreak\u2028' }));
  });

  it('writes any string, lone surrogates and control characters included, exactly as JSON.stringify', () => {
    for (const text of ['\ud800', 'a\udc00b', '\u{1f600}', '\u0000\u001f', 'tab\t', 'q"\\', '\u007f', 'plain']) {
      expect(canonicalJson(text)).toBe(JSON.stringify(text));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(canonicalJson(text)).toBe(JSON.stringify(text));
      }),
      { seed: 3, numRuns: 500 },
    );
  });

  it('sorts many keys (past the insertion-sort size) as Array#sort does', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${(i * 17) % 40}`);
    const obj = Object.fromEntries(keys.map((k) => [k, 1]));
    expect(Object.keys(JSON.parse(canonicalJson(obj)))).toEqual([...keys].sort());
  });

  it('throws on a circular structure instead of recursing forever', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/deeper than 256/);
  });

  it('accepts nesting just under the depth limit and refuses it at the limit', () => {
    const nest = (levels: number): unknown => (levels === 0 ? 1 : [nest(levels - 1)]);
    expect(() => canonicalJson(nest(MAX_CANONICAL_DEPTH))).not.toThrow();
    expect(() => canonicalJson(nest(MAX_CANONICAL_DEPTH + 1))).toThrow(TypeError);
  });

  it('is idempotent through JSON.parse for any JSON value (what lets a verifier recompute hashes)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('equals JSON.stringify for values whose keys are already sorted', () => {
    // Integer-like keys are excluded: JS objects enumerate them first, whatever order they were inserted in.
    const key = fc.string().filter((k) => !/^(0|[1-9][0-9]*)$/.test(k));
    fc.assert(
      fc.property(fc.dictionary(key, fc.oneof(fc.integer(), fc.string(), fc.boolean())), (dict) => {
        const sorted = Object.fromEntries(Object.entries(dict).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        expect(canonicalJson(dict)).toBe(JSON.stringify(sorted));
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
