import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  GATEKEEPER_REASONS,
  NO_ORDER_REASONS,
  REASONS,
  RECONCILE_REASONS,
  RULE_IDS,
  RULE_REASONS,
  VENUE_CANCEL_REASONS,
  VENUE_REJECT_REASONS,
  isReasonCode,
  renderReason,
} from './reasons.js';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('the one reason list', () => {
  it('holds every section, each code with a non-empty meaning', () => {
    const sections = [RULE_REASONS, GATEKEEPER_REASONS, VENUE_REJECT_REASONS, VENUE_CANCEL_REASONS, NO_ORDER_REASONS, RECONCILE_REASONS];
    for (const section of sections) {
      for (const [code, meaning] of Object.entries(section)) {
        expect(isReasonCode(code), code).toBe(true);
        expect(REASONS[code as keyof typeof REASONS], code).toBe(meaning);
        expect(meaning.length, code).toBeGreaterThan(10);
      }
    }
    expect(Object.keys(RULE_REASONS)).toEqual([...RULE_IDS]);
    expect(isReasonCode('VENUE_SOMETHING')).toBe(false);
    expect(isReasonCode('toString')).toBe(false);
  });

  it('codes are upper snake case, so a code never collides with a rendered field', () => {
    for (const code of Object.keys(REASONS)) expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it('knows every code a layer emits: every reason-code literal in the sources of the emitting layers', () => {
    // A code is emitted as `code: 'X'`, `reason: 'X'`, `reject(…, 'X', …)` or `renderReason('X', …)`.
    const emitters = ['constraints', 'risk-gatekeeper', 'venues', 'execution', 'live'];
    const patterns = [
      /\bcode: '([A-Z][A-Z0-9_]+)'/g,
      /\breason: '([A-Z][A-Z0-9_]+)'/g,
      /\breject\([^,]+,(?:[^,]+,){0,3}\s*'([A-Z][A-Z0-9_]+)'/g,
      /\brenderReason\('([A-Z][A-Z0-9_]+)'/g,
    ];
    const unknown: string[] = [];
    let seen = 0;
    for (const layer of emitters) {
      for (const file of sourceFiles(join(srcDir, layer))) {
        const text = readFileSync(file, 'utf8');
        for (const re of patterns) {
          for (const m of text.matchAll(re)) {
            seen += 1;
            if (!isReasonCode(m[1])) unknown.push(`${relative(srcDir, file)}: ${m[1]}`);
          }
        }
      }
    }
    expect(seen).toBeGreaterThan(30);
    expect(unknown).toEqual([]);
  });
});

describe('renderReason: the one rendering', () => {
  it('renders `CODE: key=value, key=value`, numbers to 12 significant digits', () => {
    expect(renderReason('PRICE_COLLAR', { trusted: 100, got: 106.5, maxPct: 0.05 })).toBe('PRICE_COLLAR: trusted=100, got=106.5, maxPct=0.05');
    expect(renderReason('MAX_POSITION_PCT', { max: 0.2, got: 0.1 + 0.2 })).toBe('MAX_POSITION_PCT: max=0.2, got=0.3');
    expect(renderReason('MAX_ORDER_QUANTITY', { max: 1, got: 1.000001 })).toBe('MAX_ORDER_QUANTITY: max=1, got=1.000001');
    expect(renderReason('NO_ACCOUNT', { field: 'peakEquity', got: Infinity, ok: false })).toBe('NO_ACCOUNT: field=peakEquity, got=Infinity, ok=false');
    expect(renderReason('HOLD')).toBe('HOLD');
    expect(renderReason('HOLD', {})).toBe('HOLD');
  });

  it('keeps a value with spaces readable (the reason commas separate fields)', () => {
    expect(renderReason('NO_TRUSTED_PRICE', { symbol: 'BTC/USD', problem: 'stamped ahead of the clock' })).toBe(
      'NO_TRUSTED_PRICE: symbol=BTC/USD, problem=stamped ahead of the clock',
    );
  });

  it('no source outside core/reasons.ts renders a reason by hand', () => {
    // A string that starts with a known code and `: key=`, or a template `${reason}: …`, is a second renderer.
    const codes = Object.keys(REASONS).join('|');
    const handBuilt = new RegExp(`[\`'"](?:(?:${codes}): [a-zA-Z_]+=|\\$\\{(?:reason|code|id|r\\.code)\\}: )`);
    const offenders: string[] = [];
    for (const file of sourceFiles(srcDir)) {
      if (file.endsWith(join('core', 'reasons.ts'))) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (handBuilt.test(line) && !/^\s*(\*|\/\/)/.test(line)) offenders.push(`${relative(srcDir, file)}:${i + 1}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
