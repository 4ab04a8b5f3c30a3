/**
 * What happened at every step of a run, in typed-array columns (one slot per bar, written in place), so
 * that recording a million decisions allocates nothing per step. Strings (rule ids, reason codes) are
 * interned once in a `StringTable` and stored as small integers.
 */
import { RULE_BIT, RULE_IDS, type RuleId } from '../constraints/index.js';
import { TRADING_STATES, type TradingState, strictness } from '../risk-gatekeeper/index.js';

/** Outcome of one decision as the chain saw it. */
export type GateOutcome = 'NO_ORDER' | 'ACCEPTED' | 'DENIED' | 'MASKED' | 'VENUE_REJECTED';
export const GATE_OUTCOMES: readonly GateOutcome[] = ['NO_ORDER', 'ACCEPTED', 'DENIED', 'MASKED', 'VENUE_REJECTED'];
export const GATE_NO_ORDER = 0;
export const GATE_ACCEPTED = 1;
export const GATE_DENIED = 2;
/** The agent proposed an action the Constraint Logic Engine had masked; nothing was sent. */
export const GATE_MASKED = 3;
/** The venue refused the order, or dropped it without filling any of it (reason: the venue's own code). */
export const GATE_VENUE_REJECTED = 4;

/** The gatekeeper's trading state, stored per bar as its index in `TRADING_STATES` (its strictness). */
export type TradingStateName = TradingState;
export { TRADING_STATES };

export function tradingStateIndex(state: TradingState): number {
  return strictness(state);
}

/** Interns strings as dense integer ids (lookups of known strings allocate nothing). */
export class StringTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  intern(name: string): number {
    const id = this.ids.get(name);
    if (id !== undefined) return id;
    this.names.push(name);
    this.ids.set(name, this.names.length - 1);
    return this.names.length - 1;
  }

  name(id: number): string {
    return id >= 0 && id < this.names.length ? this.names[id] : '';
  }
}

/** Masks are stored as bit sets: at most 32 discrete actions. */
export const MAX_ACTIONS = 32;

/**
 * The columns of a Box (target-position) run, one slot per bar (NaN: no decision). Targets are position
 * shares: signed position value / equity at the bar's close.
 */
export class TargetLog {
  /** The target the agent proposed. */
  readonly proposed: Float64Array;
  /** The allowed interval [lo, hi] it was judged against: the engine's (within the Box range), or the Box range. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** The target the order was sized for (the proposal clipped onto [lo, hi]). */
  readonly executed: Float64Array;

  constructor(length: number) {
    this.proposed = new Float64Array(length).fill(Number.NaN);
    this.lo = new Float64Array(length).fill(Number.NaN);
    this.hi = new Float64Array(length).fill(Number.NaN);
    this.executed = new Float64Array(length).fill(Number.NaN);
  }
}

export class DecisionLog {
  readonly length: number;
  /** Action index the agent proposed at the bar's close (−1: no decision, e.g. the last bar). */
  readonly proposed: Int16Array;
  /** Bit i set = action i allowed by the Constraint Logic Engine. */
  readonly maskBits: Uint32Array;
  /** Rule id (in `strings`) that masked the proposed action (Box runs: that clipped the target), −1 when none did. */
  readonly maskRule: Int16Array;
  /** One of the GATE_* codes. */
  readonly gate: Uint8Array;
  /** Reason code (in `strings`) of a gatekeeper denial or a venue refusal, −1 otherwise. */
  readonly gateReason: Int16Array;
  /** Signed quantity of the order sent (0 when none). */
  readonly orderQty: Float64Array;
  /** Trading state index (TRADING_STATES) when the decision was taken. */
  readonly state: Uint8Array;
  /** Box runs: targets proposed, allowed and executed; null for action-list runs. */
  readonly targets: TargetLog | null;
  readonly strings = new StringTable();

  /** `targets`: keep the Box columns (a target-position agent's run). */
  constructor(length: number, options: { readonly targets?: boolean } = {}) {
    this.length = length;
    this.proposed = new Int16Array(length).fill(-1);
    this.maskBits = new Uint32Array(length);
    this.maskRule = new Int16Array(length).fill(-1);
    this.gate = new Uint8Array(length);
    this.gateReason = new Int16Array(length).fill(-1);
    this.orderQty = new Float64Array(length);
    this.state = new Uint8Array(length);
    this.targets = options.targets === true ? new TargetLog(length) : null;
  }

  /** A copy holding the first min(length, this.length) decisions, `length` slots long (strings keep their ids). */
  resized(length: number): DecisionLog {
    const out = new DecisionLog(length, { targets: this.targets !== null });
    for (const name of this.strings.names) out.strings.intern(name);
    const n = Math.min(length, this.length);
    out.proposed.set(this.proposed.subarray(0, n));
    out.maskBits.set(this.maskBits.subarray(0, n));
    out.maskRule.set(this.maskRule.subarray(0, n));
    out.gate.set(this.gate.subarray(0, n));
    out.gateReason.set(this.gateReason.subarray(0, n));
    out.orderQty.set(this.orderQty.subarray(0, n));
    out.state.set(this.state.subarray(0, n));
    if (this.targets !== null && out.targets !== null) {
      out.targets.proposed.set(this.targets.proposed.subarray(0, n));
      out.targets.lo.set(this.targets.lo.subarray(0, n));
      out.targets.hi.set(this.targets.hi.subarray(0, n));
      out.targets.executed.set(this.targets.executed.subarray(0, n));
    }
    return out;
  }

  /** Counts per interned string of a column (e.g. denials per reason code), for metrics. */
  countBy(column: Int16Array): Record<string, number> {
    const counts = new Uint32Array(this.strings.names.length);
    for (let i = 0; i < this.length; i++) if (column[i] >= 0) counts[column[i]]++;
    const out: Record<string, number> = {};
    this.strings.names.forEach((name, id) => {
      if (counts[id] > 0) out[name] = counts[id];
    });
    return out;
  }
}

/** `RULE_BIT` in RULE_IDS order: the bar loop counts bits every bar, and a lookup by name per rule showed in profiles. */
const RULE_BIT_AT = Uint32Array.from(RULE_IDS, (id) => RULE_BIT[id]);

/**
 * Counts each rule set in `bits` (`RULE_BIT`) into `counts` (RULE_IDS order) and returns the first one, or
 * null when no bit is set: the rule recorded for a masked action or a clipped target.
 */
export function countRuleBits(bits: number, counts: Uint32Array): RuleId | null {
  let first: RuleId | null = null;
  for (let k = 0; k < RULE_IDS.length; k++) {
    if ((bits & RULE_BIT_AT[k]) !== 0) {
      counts[k]++;
      if (first === null) first = RULE_IDS[k];
    }
  }
  return first;
}

/** Per-rule counts (RULE_IDS order) as the metrics' `{ RULE_ID: count }`, rules never counted left out. */
export function ruleCounts(counts: Uint32Array): Record<string, number> {
  const out: Record<string, number> = {};
  RULE_IDS.forEach((id, k) => {
    if (counts[k] > 0) out[id] = counts[k];
  });
  return out;
}

/** Packs a 0/1 mask into a bit set. */
export function packMask(mask: ArrayLike<number>, offset = 0, n = mask.length - offset): number {
  let bits = 0;
  for (let a = 0; a < n; a++) if (mask[offset + a] !== 0) bits |= 1 << a;
  return bits >>> 0;
}

export function maskAllows(bits: number, action: number): boolean {
  return ((bits >>> action) & 1) === 1;
}
