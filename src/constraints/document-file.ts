/**
 * Reading a YAML or JSON document (JSON is YAML) for the rule set and state loaders, with one error shape
 * for both: a `ValidationError` whose source names the file, for a missing file as for bad syntax.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../core/index.js';
import { errnoCode } from '../security/index.js';

/** Parses YAML or JSON text; a syntax error becomes a ValidationError of `source`. */
export function parseYamlDocument(text: string, source: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ValidationError(source, [{ path: '', message: `not valid YAML/JSON: ${err instanceof Error ? err.message : String(err)}` }]);
  }
}

/** Reads and parses a document file; an unreadable file (missing, a directory) is a ValidationError of `source`. */
export function readYamlDocumentFile(path: string, source: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err, 'unreadable');
    throw new ValidationError(source, [{ path: '', message: `cannot be read (${code})` }]);
  }
  return parseYamlDocument(text, source);
}
