/**
 * Duplicate and repeat detection.
 * - `ClientIdMemory`: client order ids seen within a TTL, in a Map pruned by time through a ring that
 *   remembers insertion order (bounded: when full, the oldest id is forgotten first).
 * - `RepeatRing`: the last N orders' fingerprints (fields compared directly, no string is built), to
 *   catch an agent looping on one action.
 */
import type { Order } from '../core/index.js';

export class ClientIdMemory {
  private readonly seenAtMs = new Map<string, number>();
  private readonly ringIds: string[];
  private readonly ringTimesMs: Float64Array;
  private head = 0; // next write
  private tail = 0; // oldest
  private size = 0;

  constructor(
    readonly capacity: number,
    readonly ttlMs: number,
  ) {
    this.ringIds = new Array<string>(capacity).fill('');
    this.ringTimesMs = new Float64Array(capacity);
  }

  /** When `id` was first seen, if within the TTL; undefined otherwise. */
  seenAt(id: string, nowMs: number): number | undefined {
    this.prune(nowMs);
    return this.seenAtMs.get(id);
  }

  /**
   * When `id` was first seen within the TTL, or undefined after remembering it as seen now: one Map lookup
   * on the common path (a new id).
   */
  seenBeforeOrRemember(id: string, nowMs: number): number | undefined {
    this.prune(nowMs);
    const first = this.seenAtMs.get(id);
    if (first !== undefined) return first;
    this.insert(id, nowMs);
    return undefined;
  }

  remember(id: string, nowMs: number): void {
    if (this.seenAtMs.has(id)) return;
    this.insert(id, nowMs);
  }

  private insert(id: string, nowMs: number): void {
    if (this.size === this.capacity) this.evictOldest();
    this.ringIds[this.head] = id;
    this.ringTimesMs[this.head] = nowMs;
    this.head = (this.head + 1) % this.capacity;
    this.size += 1;
    this.seenAtMs.set(id, nowMs);
  }

  get count(): number {
    return this.size;
  }

  private prune(nowMs: number): void {
    const cutoff = nowMs - this.ttlMs;
    while (this.size > 0 && this.ringTimesMs[this.tail] <= cutoff) this.evictOldest();
  }

  private evictOldest(): void {
    this.seenAtMs.delete(this.ringIds[this.tail]);
    this.ringIds[this.tail] = '';
    this.tail = (this.tail + 1) % this.capacity;
    this.size -= 1;
  }
}

export class RepeatRing {
  private readonly symbols: string[];
  private readonly agents: (string | undefined)[];
  private readonly buys: Uint8Array;
  private readonly limits: Uint8Array;
  private readonly qtys: Float64Array;
  private readonly prices: Float64Array;
  private readonly timesMs: Float64Array;
  private head = 0;
  private size = 0;

  constructor(
    readonly capacity: number,
    readonly windowMs: number,
  ) {
    this.symbols = new Array<string>(capacity).fill('');
    this.agents = new Array<string | undefined>(capacity).fill(undefined);
    this.buys = new Uint8Array(capacity);
    this.limits = new Uint8Array(capacity);
    this.qtys = new Float64Array(capacity);
    this.prices = new Float64Array(capacity);
    this.timesMs = new Float64Array(capacity);
  }

  /** How many remembered orders within the window are identical to `order` (same agent, symbol, side, type, size, price). */
  countSame(order: Order, nowMs: number): number {
    const cutoff = nowMs - this.windowMs;
    const buy = order.side === 'BUY' ? 1 : 0;
    const limit = order.type === 'LIMIT' ? 1 : 0;
    const price = order.limitPrice ?? 0;
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if (
        this.timesMs[i] > cutoff &&
        this.qtys[i] === order.quantity &&
        this.buys[i] === buy &&
        this.limits[i] === limit &&
        this.prices[i] === price &&
        this.symbols[i] === order.symbol &&
        this.agents[i] === order.agentId
      ) {
        n += 1;
      }
    }
    return n;
  }

  record(order: Order, nowMs: number): void {
    const i = this.head;
    this.symbols[i] = order.symbol;
    this.agents[i] = order.agentId;
    this.buys[i] = order.side === 'BUY' ? 1 : 0;
    this.limits[i] = order.type === 'LIMIT' ? 1 : 0;
    this.qtys[i] = order.quantity;
    this.prices[i] = order.limitPrice ?? 0;
    this.timesMs[i] = nowMs;
    this.head = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size += 1;
  }
}
