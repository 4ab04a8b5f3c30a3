/**
 * What every sandboxed agent in a run (a JavaScript strategy or a policy checkpoint) does the same way when the
 * sandbox stops it: the event is audited (`SANDBOX_AGENT_STOPPED`, with the decision counts), `takeFault` hands
 * the bar loop or the paper session the reason once (which moves the session to REDUCING through the
 * kill-switch), and `summary` is the run's note on decisions, late ones and why it was stopped.
 */
import { type AuditSink, discardAuditSink } from '../security/index.js';
import { type AgentSandbox, type SandboxOptions, createAgentSandbox } from './agent-sandbox.js';
import type { SandboxTier } from './tiers.js';

export class SupervisedSandbox {
  /** Where the stop event is written; the command sets it once the run's audit log is open. */
  audit: AuditSink = discardAuditSink;
  readonly sandbox: AgentSandbox;
  private pendingFault: string | null = null;

  constructor(
    readonly tier: SandboxTier,
    options: Omit<SandboxOptions, 'tier' | 'onFault'>,
    private readonly agentId: string,
  ) {
    this.sandbox = createAgentSandbox({ ...options, tier, onFault: (fault) => this.onFault(`${fault.kind}: ${fault.detail}`) });
  }

  private onFault(reason: string): void {
    this.pendingFault = reason;
    const s = this.sandbox;
    this.audit.append('SANDBOX_AGENT_STOPPED', `agent:${this.agentId}`, {
      tier: this.tier,
      reason,
      decisions: s.decisions,
      lateDecisions: s.lateDecisions,
    });
  }

  /** The reason the agent was stopped, once (then null): the caller moves the session to REDUCING. */
  takeFault(): string | null {
    const f = this.pendingFault;
    this.pendingFault = null;
    return f;
  }

  /** Decisions asked, late ones (HOLD) and why the agent was stopped, for the run's notes. */
  summary(): string {
    const s = this.sandbox;
    const fault = s.fault === null ? '' : `; stopped: ${s.fault.kind}: ${s.fault.detail}`;
    return `Sandbox tier ${this.tier}: ${s.decisions} decisions, ${s.lateDecisions} late (HOLD)${fault}.`;
  }

  close(): Promise<void> {
    return this.sandbox.close();
  }
}

/**
 * The part of a sandboxed agent (a JavaScript strategy, a policy checkpoint) that is its supervised sandbox's:
 * the tier, where the stop event is audited, the fault handed over once, the run's note, and closing it.
 */
export abstract class SupervisedAgent {
  protected constructor(protected readonly supervised: SupervisedSandbox) {}

  get tier(): SandboxTier {
    return this.supervised.tier;
  }

  /** Where the stop event is written; the command sets it once the run's audit log is open. */
  set audit(sink: AuditSink) {
    this.supervised.audit = sink;
  }

  /** The reason the agent was stopped, once (then null): the bar loop moves the session to REDUCING. */
  takeFault(): string | null {
    return this.supervised.takeFault();
  }

  summary(): string {
    return this.supervised.summary();
  }

  close(): Promise<void> {
    return this.supervised.close();
  }
}
