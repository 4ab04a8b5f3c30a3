import type { z } from 'zod';

/** One problem found in a config or request: where it is and what is wrong. */
export interface ValidationIssue {
  /** Dotted path, e.g. `rules.max_drawdown_pct` or `[3].price`. */
  readonly path: string;
  readonly message: string;
}

/** Every problem of an input at once, each naming its field. */
export class ValidationError extends Error {
  readonly code = 'VALIDATION_FAILED';
  constructor(
    readonly source: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(`${source}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
    this.name = 'ValidationError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Field names whose values are never echoed in an error (a mistyped key is still a key). */
const SECRET_FIELD_RE = /key|secret|passw|passphrase|token|credential|auth|private/i;

function gotTextOf(got: unknown, path: readonly PropertyKey[]): string {
  if (got === undefined) return '';
  const last = path.length > 0 ? path[path.length - 1] : undefined;
  const secret =
    (typeof last === 'string' && SECRET_FIELD_RE.test(last)) || (typeof got === 'string' && /PRIVATE KEY|^\s*(Bearer|Basic)\s/i.test(got));
  return secret ? ' (value not shown: secret field)' : `, got ${JSON.stringify(got)}`;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const got = valueAt(input, issue.path);
  const gotText = gotTextOf(got, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'too_small':
      return `${issue.message}${gotText}`;
    case 'too_big':
      return `${issue.message}${gotText}`;
    case 'invalid_type':
      return got === undefined ? 'required' : `${issue.message}${gotText}`;
    default:
      return `${issue.message}${gotText}`;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Reflect.get(cur, key);
  }
  return cur;
}

/** Parses `input` with `schema`; on failure throws a ValidationError listing every issue with its path. */
export function parseWithSchema<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: describeIssue(issue, input) }));
  throw new ValidationError(source, issues);
}
