import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { siblingModuleArgs } from './sibling-module.js';

describe('siblingModuleArgs', () => {
  it('runs the built .js beside a built caller, with no loader', () => {
    expect(siblingModuleArgs('file:///pkg/dist/gateway/bench.js', 'bench-loader')).toEqual(['/pkg/dist/gateway/bench-loader.js']);
  });

  it('runs the .ts beside a source caller under the specs loader, which exists', () => {
    const args = siblingModuleArgs('file:///pkg/src/gateway/bench.ts', 'bench-loader');
    expect(args[0]).toBe('--import');
    expect(args[1]).toMatch(/\/risk-gatekeeper\/test-helpers\/register-ts\.mjs$/);
    expect(existsSync(new URL(args[1]))).toBe(true);
    expect(args[2]).toBe('/pkg/src/gateway/bench-loader.ts');
  });
});
