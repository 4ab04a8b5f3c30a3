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
  return secret ? ' (value not shown: secret field)' : `, got ${describeValue(got)}`;
}

const SHOWN_CHARS = 60;

/**
 * A value as an error shows it: at most one short line. YAML's `.nan` and `.inf` read as themselves (JSON would print
 * `null`), and a whole file read as one scalar (a CSV or binary file given as a config) is described, not echoed.
 */
export function describeValue(got: unknown): string {
  if (typeof got === 'number' && !Number.isFinite(got)) return String(got);
  if (typeof got === 'string') {
    // NUL or U+FFFD (undecodable bytes) mark binary data read as UTF-8 text.
    if (got.includes('\u0000') || got.includes('\ufffd')) return `binary data (${got.length} characters)`;
    const first = got.split('\n')[0];
    if (first === got && got.length <= SHOWN_CHARS) return JSON.stringify(got);
    const head = first.length > SHOWN_CHARS ? `${first.slice(0, SHOWN_CHARS)}…` : first;
    return `a text of ${got.length} characters starting ${JSON.stringify(head)}`;
  }
  const json = JSON.stringify(got);
  if (json === undefined) return String(got);
  return json.length > SHOWN_CHARS * 2 ? `${json.slice(0, SHOWN_CHARS * 2)}…` : json;
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
      if (got === undefined) return 'required';
      // The whole document is not a mapping: a CSV, a binary file or a bare value given where a config belongs.
      if (issue.path.length === 0 && issue.expected === 'object') return `not a YAML/JSON mapping of fields${gotText}`;
      return `${issue.message}${gotText}`;
    case 'custom':
      // A message that already shows the value (a unit mistake's two readings) does not repeat it.
      return issue.params?.valueShown === true ? issue.message : `${issue.message}${gotText}`;
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

/**
 * Refuses a document that says nothing: an empty file, one of comments only (YAML reads both as null) or `{}`.
 * A config that sets nothing is more often the wrong or a truncated file than a wish for every default, and
 * defaults taken silently hide that; `hint` says what to write instead.
 */
export function requireNonEmptyDocument(doc: unknown, source: string, hint: string): void {
  const empty = doc === null || doc === undefined || (typeof doc === 'object' && !Array.isArray(doc) && Object.keys(doc).length === 0);
  if (empty) throw new ValidationError(source, [{ path: '', message: `is empty (no fields; an empty file or comments only read as nothing): ${hint}` }]);
}

/** Parses `input` with `schema`; on failure throws a ValidationError listing every issue with its path. */
export function parseWithSchema<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: describeIssue(issue, input) }));
  throw new ValidationError(source, issues);
}
