/**
 * Redaction of secrets and credentials from audit payloads, applied by the audit log before anything is
 * hashed or written, so a secret never reaches the file (and so never needs to be "un-written").
 *
 * A value is replaced by `REDACTED` when its key names a secret (at any depth, in objects and arrays), or
 * when the value itself is a string that is one (a PEM private key, a `Bearer …` value). Secrets inside free
 * text (an error message, a reason) are cut out in place: `apiKey=…`, `"secret": "…"`, `password: …`, a
 * URL's `user:password@`, `Bearer …` — the rest of the text stays readable.
 * Key matching ignores case and separators: `apiKey`, `API_KEY`, `x-api-key`, `client_secret`,
 * `accessToken`, `privateKeyPem` all match; `tokenBucket` or `keyId` do not.
 */
export const REDACTED = '[REDACTED]';

/** Substrings of a normalised key (lower case, letters and digits only) that mark it secret wherever they occur. */
const SECRET_KEY_PARTS = [
  'apikey',
  'apisecret',
  'secret',
  'password',
  'passwd',
  'passphrase',
  'privatekey',
  'secretkey',
  'accesskey',
  'signingkey',
  'authorization',
  'credential',
  'cookie',
  'mnemonic',
  'seedphrase',
  'jwt',
];
/** Endings of a normalised key that mark it secret (`accessToken`, `sessionId`), without catching `tokenBucket`. */
const SECRET_KEY_ENDINGS = ['token', 'tokens', 'sessionid', 'bearer', 'otp', 'pin'];

/** Key decisions are cached: audit payloads repeat the same few key names millions of times. */
const keyCache = new Map<string, boolean>();
const KEY_CACHE_LIMIT = 10_000;

/** True when an object key names a secret. */
export function isSecretKey(key: string): boolean {
  const cached = keyCache.get(key);
  if (cached !== undefined) return cached;
  const norm = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  const secret =
    SECRET_KEY_PARTS.some((part) => norm.includes(part)) || SECRET_KEY_ENDINGS.some((end) => norm.endsWith(end));
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(key, secret);
  return secret;
}

const SECRET_VALUE_RE = /PRIVATE KEY-----|^\s*(?:Bearer|Basic)\s+\S/i;

/** What every secret pattern below needs somewhere in the text: a separator, an `@`, or a credential word. */
const MAY_CARRY_SECRET_RE = /[=:@]|bearer|basic|private key/i;

/** True when a string value is itself a credential, whatever key it sits under. */
export function isSecretValue(value: string): boolean {
  return SECRET_VALUE_RE.test(value);
}

/** `key=value`, `key: value`, `"key":"value"` in text; the key is judged by `isSecretKey`. */
const INLINE_PAIR_RE = /([A-Za-z][\w.-]{0,63})(["']?[ \t]*[:=][ \t]*["']?)([^\s"'&,;=}\]]+)/g;
/** A scheme word that carries its credential after a space (`Authorization: Bearer abc…`). */
const AUTH_SCHEME_RE = /^(?:Bearer|Basic|Token)$/i;
const AUTH_CREDENTIAL_RE = /[ \t]+[\w.~+/-]+=*/y;
/** The password of a URL's user info: `scheme://user:password@host`. */
const URL_PASSWORD_RE = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)([^\s@/]+)@/gi;
/** A bearer or basic credential anywhere in text (16+ characters, so that prose like 'Basic strategy' stays). */
const INLINE_AUTH_RE = /\b(Bearer|Basic)[ \t]+[\w.~+/-]{16,}=*/g;

/**
 * `text` with the secrets it carries cut out (see the module comment); the same string when there are none.
 * Cheap for the usual short values: the patterns run only on text with a separator they need.
 */
export function redactInlineSecrets(text: string): string {
  let out = text;
  if (out.includes('=') || out.includes(':')) out = redactInlinePairs(out);
  if (out.includes('@')) out = out.replace(URL_PASSWORD_RE, `$1${REDACTED}@`);
  if (out.includes('Bearer') || out.includes('Basic')) out = out.replace(INLINE_AUTH_RE, `$1 ${REDACTED}`);
  return out;
}

/**
 * Replaces the value of every secret-named pair. A pair whose key is innocent is skipped by its key and
 * separator only, so a pair inside its value (`reason: password=…`) is still found.
 */
function redactInlinePairs(text: string): string {
  const re = INLINE_PAIR_RE;
  re.lastIndex = 0;
  let out = '';
  let copied = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const key = m[1];
    const sep = m[2];
    const valueStart = m.index + key.length + sep.length;
    if (!isSecretKey(key) || text.startsWith(REDACTED, valueStart)) {
      re.lastIndex = valueStart;
      continue;
    }
    let valueEnd = valueStart + m[3].length;
    if (AUTH_SCHEME_RE.test(m[3])) {
      AUTH_CREDENTIAL_RE.lastIndex = valueEnd;
      if (AUTH_CREDENTIAL_RE.test(text)) valueEnd = AUTH_CREDENTIAL_RE.lastIndex;
    }
    out += text.slice(copied, valueStart) + REDACTED;
    copied = valueEnd;
    re.lastIndex = valueEnd;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Returns `payload` with every secret replaced by `REDACTED`. Copy on write: parts without secrets are
 * returned as the same objects (the common case costs one walk and no allocation); the input is never
 * mutated.
 */
export function redactSecrets<T extends Readonly<Record<string, unknown>>>(payload: T): Record<string, unknown> {
  const out = redactValue(payload, 0);
  return isPlainRecord(out) ? out : {};
}

const MAX_DEPTH = 64;

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    // Most audit strings (ids, symbols, states) hold none of the marks a secret needs: one test, then done.
    if (!MAY_CARRY_SECRET_RE.test(value)) return value;
    return isSecretValue(value) ? REDACTED : redactInlineSecrets(value);
  }
  if (typeof value !== 'object' || value === null) return value;
  // Deeper than any real payload: most likely a cycle. canonicalJson reports cycles; here we stop walking.
  if (depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = redactValue(item, depth + 1);
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  if (ArrayBuffer.isView(value) || 'toJSON' in value) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item: unknown = Reflect.get(value, key);
    const next = isSecretKey(key) && item !== undefined && item !== null ? REDACTED : redactValue(item, depth + 1);
    if (next !== item) {
      copy ??= { ...value };
      copy[key] = next;
    }
  }
  return copy ?? value;
}
