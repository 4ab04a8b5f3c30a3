/**
 * The one canonical JSON form that audit hashes and signatures are computed over: object keys sorted, no
 * whitespace. It is idempotent through `JSON.parse`: `canonicalJson(JSON.parse(canonicalJson(x)))` equals
 * `canonicalJson(x)`, which is what lets a verifier recompute a hash from the line it reads.
 *
 * Values JSON cannot carry are made explicit instead of silently becoming `null`, because an audit record of
 * a rejected order with `qty: NaN` must say NaN: non-finite numbers and bigints become strings, `undefined`,
 * functions and symbols are left out of objects (and are `null` in arrays, as in JSON), typed arrays become
 * arrays, and objects with `toJSON` (Date) are written as their JSON form. A circular structure is a bug in
 * the caller and throws.
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, []);
  return out === undefined ? 'null' : out;
}

function write(value: unknown, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
      return value === null ? 'null' : writeObject(value, ancestors);
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
  if (!ArrayBuffer.isView(value)) return undefined;
  for (const Ctor of TYPED_ARRAYS) {
    if (value instanceof Ctor) return Array.from<number | bigint>(value);
  }
  return undefined;
}

function writeObject(value: object, ancestors: object[]): string | undefined {
  if (ancestors.includes(value)) throw new TypeError('canonicalJson: circular structure');
  if ('toJSON' in value && typeof value.toJSON === 'function') return write(value.toJSON(), ancestors);
  ancestors.push(value);
  let out: string;
  const typedItems = Array.isArray(value) ? value : typedArrayItems(value);
  if (typedItems !== undefined) {
    out = writeArray(typedItems, ancestors);
  } else {
    const keys = Object.keys(value).sort();
    out = '{';
    let first = true;
    for (const key of keys) {
      const item = write(Reflect.get(value, key), ancestors);
      if (item === undefined) continue;
      out += first ? `${JSON.stringify(key)}:${item}` : `,${JSON.stringify(key)}:${item}`;
      first = false;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

function writeArray(items: readonly unknown[], ancestors: object[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    out += write(items[i], ancestors) ?? 'null';
  }
  return `${out}]`;
}
