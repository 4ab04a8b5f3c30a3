/**
 * The one canonical JSON form that audit hashes and signatures are computed over: object keys sorted, no
 * whitespace. It is idempotent through `JSON.parse`: `canonicalJson(JSON.parse(canonicalJson(x)))` equals
 * `canonicalJson(x)`, which is what lets a verifier recompute a hash from the line it reads.
 *
 * Values JSON cannot carry are made explicit instead of silently becoming `null`, because an audit record of
 * a rejected order with `qty: NaN` must say NaN: non-finite numbers and bigints become strings, `undefined`,
 * functions and symbols are left out of objects (and are `null` in arrays, as in JSON), typed arrays become
 * arrays, and objects with `toJSON` (Date) are written as their JSON form. Nesting deeper than
 * `MAX_CANONICAL_DEPTH` (in practice: a circular structure, a bug in the caller) throws.
 *
 * This runs once per audit event, so it avoids per-call allocation beyond the output string: a depth counter
 * instead of an ancestor list, and a cache of encoded keys (payloads repeat the same few key names).
 */
export const MAX_CANONICAL_DEPTH = 256;

export function canonicalJson(value: unknown): string {
  return write(value, 0) ?? 'null';
}

const keyTextCache = new Map<string, string>();
const KEY_CACHE_LIMIT = 10_000;

function keyText(key: string): string {
  let text = keyTextCache.get(key);
  if (text === undefined) {
    text = `${JSON.stringify(key)}:`;
    if (keyTextCache.size < KEY_CACHE_LIMIT) keyTextCache.set(key, text);
  }
  return text;
}

/** Characters JSON.stringify escapes (quote, backslash, controls, surrogates): only then is it needed. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NEEDS_ESCAPE_RE = /["\\\u0000-\u001f\ud800-\udfff]/;

function writeString(value: string): string {
  return NEEDS_ESCAPE_RE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** In-place sort by UTF-16 code units, as Array#sort does; insertion sort is faster for the few keys of a payload. */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > key) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = key;
  }
}

function write(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      // String(n) is JSON's number form for finite n (and gives "0" for -0, as JSON does).
      return Number.isFinite(value) ? String(value) : `"${String(value)}"`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'object':
      return value === null ? 'null' : writeObject(value, depth);
    default:
      // undefined, function, symbol: not representable, left out as JSON.stringify does.
      return undefined;
  }
}

const TYPED_ARRAYS = [
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  BigInt64Array,
  BigUint64Array,
] as const;

function typedArrayItems(value: object): unknown[] | undefined {
  for (const Ctor of TYPED_ARRAYS) {
    if (value instanceof Ctor) return Array.from<number | bigint>(value);
  }
  return undefined;
}

function writeObject(value: object, depth: number): string | undefined {
  if (depth >= MAX_CANONICAL_DEPTH) {
    throw new TypeError(`canonicalJson: nested deeper than ${MAX_CANONICAL_DEPTH} levels (circular structure?)`);
  }
  if (Array.isArray(value)) return writeArray(value, depth);
  if (ArrayBuffer.isView(value)) {
    const items = typedArrayItems(value);
    if (items !== undefined) return writeArray(items, depth);
  }
  if ('toJSON' in value && typeof value.toJSON === 'function') return write(value.toJSON(), depth + 1);
  const keys = Object.keys(value);
  sortKeys(keys);
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = write(Reflect.get(value, key), depth + 1);
    if (item === undefined) continue;
    out += first ? keyText(key) + item : `,${keyText(key)}${item}`;
    first = false;
  }
  return `${out}}`;
}

function writeArray(items: readonly unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    out += write(items[i], depth + 1) ?? 'null';
  }
  return `${out}]`;
}
