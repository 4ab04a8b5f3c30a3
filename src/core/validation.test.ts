import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError, parseWithSchema } from './validation.js';

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
