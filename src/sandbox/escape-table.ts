/**
 * The escape attempts of the sandbox specs and the table of their results that the README shows. The specs
 * (escape.test.ts) run each attempt as agent code in each tier and render this table; a spec checks that the
 * README holds exactly that table.
 */
import type { SandboxTier } from './tiers.js';

export const ESCAPE_ATTEMPTS = [
  { id: 'read-keys', label: "read the home directory's signing keys" },
  { id: 'read-shadow', label: 'read /etc/shadow' },
  { id: 'write-outside', label: 'write outside the workspace (and into it)' },
  { id: 'connect-redis', label: 'connect to the Redis port on 127.0.0.1' },
  { id: 'connect-gateway', label: "connect to the gateway's port on 127.0.0.1" },
  { id: 'resolve-name', label: 'resolve a name (localhost, example.com)' },
  { id: 'spawn-child', label: 'start a child process' },
  { id: 'signal-parent', label: 'signal the supervisor process' },
  { id: 'exhaust-memory', label: 'exhaust memory (4 GiB of heap)' },
  { id: 'spin-forever', label: 'spin forever' },
  { id: 'stdout-gigabytes', label: 'write gigabytes to stdout' },
  { id: 'frame-1gb', label: 'send a 1 GB frame' },
] as const;

export type EscapeAttemptId = (typeof ESCAPE_ATTEMPTS)[number]['id'];

/** Attempts a tier does not stop and that would take the supervisor down with them: stated, not run. */
export const NOT_RUN: Readonly<Partial<Record<SandboxTier, Partial<Record<EscapeAttemptId, string>>>>> = {
  0: {
    'resolve-name': 'not stopped (not run: tier 0 calls decide synchronously and cannot await a lookup; nothing in tier 0 would stop it)',
    'exhaust-memory': 'not stopped (not run: it would exhaust the supervisor process itself)',
    'spin-forever': 'not stopped (not run: it would hang the supervisor process itself)',
    'stdout-gigabytes': "not stopped (not run: it writes to the supervisor's own stdout)",
    'frame-1gb': 'not stopped (not run: no channel in tier 0; memory is the supervisor\'s)',
  },
  1: {
    'stdout-gigabytes': "not stopped (not run: a worker's fs.writeSync(1) writes to the supervisor's own stdout)",
    'frame-1gb': "not stopped (not run: tier 1 posts messages, not frames; a 1 GB off-heap buffer is not under the worker's heap cap and would be copied into the supervisor)",
  },
};

export type EscapeVerdict =
  | { readonly kind: 'escaped'; readonly detail: string }
  | { readonly kind: 'blocked'; readonly detail: string }
  | { readonly kind: 'stopped'; readonly detail: string }
  | { readonly kind: 'not-run'; readonly detail: string };

export function renderVerdict(v: EscapeVerdict): string {
  switch (v.kind) {
    // Only what is the same on every run reaches the table: which limit fires first on a thrashing heap, or
    // when a loopback accept is seen, varies with load; the errno an attempt gets does not.
    case 'escaped':
      return '**not stopped**';
    case 'blocked':
      return `blocked (${v.detail})`;
    case 'stopped':
      return 'stopped by the supervisor';
    case 'not-run':
      return v.detail;
  }
}

/** The README table: one row per attempt, one column per tier. */
export function renderEscapeTable(results: ReadonlyMap<SandboxTier, ReadonlyMap<EscapeAttemptId, EscapeVerdict>>): string {
  const tiers = [...results.keys()].sort();
  const lines = [
    `| attempt | ${tiers.map((t) => `tier ${t}`).join(' | ')} |`,
    `| --- | ${tiers.map(() => '---').join(' | ')} |`,
  ];
  for (const a of ESCAPE_ATTEMPTS) {
    const cells = tiers.map((t) => {
      const v = results.get(t)?.get(a.id);
      return v === undefined ? '–' : renderVerdict(v);
    });
    lines.push(`| ${a.label} | ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

export const ESCAPE_TABLE_START = '<!-- escape-table:start (written by src/sandbox/escape.test.ts) -->';
export const ESCAPE_TABLE_END = '<!-- escape-table:end -->';
