import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError, describeValue, parseWithSchema, requireNonEmptyDocument } from './validation.js';

const schema = z.strictObject({
  limits: z.strictObject({ maxDrawdown: z.number().max(1) }),
  legs: z.array(z.strictObject({ price: z.number().gt(0) })),
  apiKey: z.string().min(32).optional(),
  signingKey: z.string().optional(),
});

function issuesOf(input: unknown): ValidationError {
  try {
    parseWithSchema(schema, input, 'test config');
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('parseWithSchema', () => {
  it('returns the parsed value when the input is valid', () => {
    expect(parseWithSchema(schema, { limits: { maxDrawdown: 0.1 }, legs: [] }, 'test config')).toEqual({
      limits: { maxDrawdown: 0.1 },
      legs: [],
    });
  });

  it('names every bad field by its dotted path with the value it got, all at once', () => {
    const err = issuesOf({ limits: { maxDrawdown: 3 }, legs: [{ price: 1 }, { price: -2 }], extra: 1 });
    expect(err.source).toBe('test config');
    expect(err.issues.map((i) => i.path)).toEqual(['limits.maxDrawdown', 'legs[1].price', '']);
    expect(err.message).toMatch(/^test config: limits\.maxDrawdown: .*got 3; legs\[1\]\.price: .*got -2; unknown field 'extra'$/);
  });

  it('says "required" for a missing field', () => {
    expect(issuesOf({ legs: [] }).issues).toEqual([{ path: 'limits', message: 'required' }]);
  });

  it('never echoes the value of a secret-looking field or a credential-looking value', () => {
    const key = 'sk-live-abcdef';
    const err = issuesOf({ limits: { maxDrawdown: 0.1 }, legs: [], apiKey: key });
    expect(err.message).toContain('apiKey:');
    expect(err.message).toContain('value not shown');
    expect(err.message).not.toContain(key);
    const pem = '-----BEGIN PRIVATE KEY-----abc';
    const typed = issuesOf({ limits: { maxDrawdown: 'x' }, legs: [{ price: pem }], signingKey: 5 });
    expect(typed.issues.map((i) => i.path)).toEqual(['limits.maxDrawdown', 'legs[0].price', 'signingKey']);
    expect(typed.message).not.toContain('PRIVATE KEY');
    expect(typed.message).not.toMatch(/got 5/);
    expect(typed.message).toMatch(/limits\.maxDrawdown: .*got "x"/);
  });
});

describe('values shown in errors (issue 15)', () => {
  const schema = z.object({ cash: z.number({ error: 'must be a number' }).gt(0, 'must be > 0') }).strict();

  it('nan_and_infinity_from_yaml_read_as_themselves_not_null', () => {
    expect(() => parseWithSchema(schema, { cash: Number.NaN }, 'cfg')).toThrow('cash: must be a number, got NaN');
    expect(describeValue(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
  });

  it('a_csv_read_as_one_scalar_is_not_a_mapping_and_is_shown_as_at_most_a_line', () => {
    const csv = `time,open,high,low,close,volume\n${'1,2,3,1,2,5\n'.repeat(3000)}`;
    let message = '';
    try {
      parseWithSchema(schema, csv, '--config x.csv');
    } catch (err) {
      message = err instanceof Error ? err.message : '';
    }
    expect(message).toMatch(/^--config x\.csv: not a YAML\/JSON mapping of fields, got a text of \d+ characters starting "time,open,high,low,close,volume"$/);
    expect(message.length).toBeLessThan(200);
  });

  it('binary_data_is_named_as_such_and_never_echoed', () => {
    expect(describeValue('\u0000\u0001PK\ufffd\ufffd'.repeat(1000))).toBe('binary data (6000 characters)');
  });

  it('a_long_array_or_object_is_cut', () => {
    expect(describeValue(Array.from({ length: 500 }, (_, i) => i)).length).toBeLessThanOrEqual(121);
  });
});

describe('requireNonEmptyDocument', () => {
  it('an_empty_file_comments_only_or_an_empty_mapping_is_refused_with_the_hint', () => {
    for (const doc of [null, undefined, {}]) {
      expect(() => requireNonEmptyDocument(doc, '--config c.yaml', 'start from examples/x.yaml')).toThrow(
        '--config c.yaml: is empty (no fields; an empty file or comments only read as nothing): start from examples/x.yaml',
      );
    }
    expect(() => requireNonEmptyDocument({ a: 1 }, 'c', 'h')).not.toThrow();
  });
});
