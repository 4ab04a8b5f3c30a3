/**
 * The messages of the sandbox channel. The supervisor sends `init` once and then `decide` per decision; the
 * agent answers `ready` and one `decision` per `decide`. Type-only imports from here are erased, so the host
 * files that run inside the sandbox stay free of project imports.
 */

export type SupervisorMessage =
  | { readonly t: 'init'; readonly module: string; readonly spec: unknown; readonly workspace: string }
  | { readonly t: 'decide'; readonly id: number; readonly obs: readonly number[]; readonly mask: readonly number[] };

export type AgentMessage =
  | { readonly t: 'ready' }
  | { readonly t: 'decision'; readonly id: number; readonly action: number; readonly info?: unknown; readonly target?: number }
  | { readonly t: 'error'; readonly message: string };

/** Ways a sandboxed agent is stopped; each ends its session (REDUCING) and is audited. */
export const SANDBOX_FAULT_KINDS = [
  'crash',
  'exit',
  'agent-error',
  'malformed-frame',
  'frame-too-large',
  'output-limit',
  'deadline',
  'session-deadline',
  'start-failed',
] as const;
export type SandboxFaultKind = (typeof SANDBOX_FAULT_KINDS)[number];

export function isFaultKind(value: unknown): value is SandboxFaultKind {
  return typeof value === 'string' && (SANDBOX_FAULT_KINDS as readonly string[]).includes(value);
}

/** What a relay (tiers 2 and 3) or a worker host (tier 1) posts to the supervisor's thread. */
export type HostReport =
  | { readonly t: 'agent'; readonly message: AgentMessage }
  | { readonly t: 'fault'; readonly kind: SandboxFaultKind; readonly detail: string };

/** Checks a message received from an agent; returns a reason when it is not one of `AgentMessage`. */
export function checkAgentMessage(value: unknown): AgentMessage | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'message: must be an object';
  const t: unknown = Reflect.get(value, 't');
  if (t === 'ready') return { t: 'ready' };
  if (t === 'error') {
    const message: unknown = Reflect.get(value, 'message');
    return { t: 'error', message: typeof message === 'string' ? message.slice(0, 2000) : 'agent error' };
  }
  if (t === 'decision') {
    const id: unknown = Reflect.get(value, 'id');
    const action: unknown = Reflect.get(value, 'action');
    if (typeof id !== 'number' || !Number.isInteger(id)) return 'decision.id: must be a whole number';
    if (typeof action !== 'number' || !Number.isInteger(action) || action < 0) {
      return `decision.action: must be a whole number >= 0, got ${JSON.stringify(action) ?? String(action)}`;
    }
    const target: unknown = Reflect.get(value, 'target');
    if (target === undefined) return { t: 'decision', id, action, info: Reflect.get(value, 'info') };
    if (typeof target !== 'number' || !Number.isFinite(target)) return `decision.target: must be a finite number, got ${JSON.stringify(target) ?? String(target)}`;
    return { t: 'decision', id, action, info: Reflect.get(value, 'info'), target };
  }
  return `message.t: must be ready, decision or error, got ${JSON.stringify(t) ?? String(t)}`;
}

function numberArray(value: unknown): number[] | null {
  return Array.isArray(value) && value.every((x) => typeof x === 'number') ? value.map(Number) : null;
}

/** Checks a message received from the supervisor (inside the host; the supervisor is trusted, but a bug is not). */
export function checkSupervisorMessage(value: unknown): SupervisorMessage | string {
  if (typeof value !== 'object' || value === null) return 'message: must be an object';
  const t: unknown = Reflect.get(value, 't');
  if (t === 'init') {
    const module: unknown = Reflect.get(value, 'module');
    const workspace: unknown = Reflect.get(value, 'workspace');
    if (typeof module !== 'string') return 'init.module: must be a string';
    if (typeof workspace !== 'string') return 'init.workspace: must be a string';
    return { t: 'init', module, spec: Reflect.get(value, 'spec'), workspace };
  }
  if (t === 'decide') {
    const id: unknown = Reflect.get(value, 'id');
    const obs = numberArray(Reflect.get(value, 'obs'));
    const mask = numberArray(Reflect.get(value, 'mask'));
    if (typeof id !== 'number' || obs === null || mask === null) return 'decide: needs id, obs and mask';
    return { t: 'decide', id, obs, mask };
  }
  return `message.t: must be init or decide, got ${JSON.stringify(t) ?? String(t)}`;
}
