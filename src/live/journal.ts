/**
 * The session journal: the paper account's one source of truth, a JSONL file of whole lines. Every accepted
 * order, every bar the venue matched (with the fills and cancellations it caused) and every cancellation
 * outside a bar is one line, so a line is all or nothing. Lines are written with `writeSync` as they happen
 * (a `kill -9` loses none that were appended) and forced to disk with fsync at each `sync()` (after every bar
 * of a live feed; in batches on a `speed=max` replay, where a lost tail is simply replayed again).
 *
 * On open, a torn last line (a crash mid-write) is cut off and kept beside the file; so is a decision's order
 * without its decision line (the decision line commits the pair: a write cut short by a kill can split them, and a
 * half-taken decision is taken again on resume, the same order under the same id). Records are read back in order,
 * fills deduplicated by trade id and orders by client order id, so nothing is counted twice. A malformed line
 * anywhere but at the end fails closed.
 */
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { z } from 'zod';
import type { Order } from '../core/index.js';
import type { RecordedDecision } from '../backtests/index.js';
import { TRADING_STATES, type TradingState } from '../risk-gatekeeper/index.js';
import { type AccountConfigInput, accountConfigSchema } from '../venues/index.js';

export const JOURNAL_VERSION = 1;

export interface JournalFill {
  /** `clientOrderId#n`: the n-th fill of the order (0-based); the same fill always has the same id. */
  readonly tradeId: string;
  readonly clientOrderId: string;
  readonly side: 'BUY' | 'SELL';
  readonly qty: number;
  readonly price: number;
  readonly fee: number;
  readonly liquidity: 'MAKER' | 'TAKER';
}

export interface JournalCancel {
  readonly clientOrderId: string;
  readonly reason: string;
  readonly remainingQty: number;
}

export type JournalRecord =
  | {
      readonly k: 'open';
      readonly v: number;
      readonly sessionId: string;
      readonly symbol: string;
      readonly initialCash: number;
      /** The venue's account (cash or margin with its terms); absent in journals from before it was recorded (cash). */
      readonly account?: AccountConfigInput;
      /** The instrument's trading day (`--day-start`, `--timezone`); absent for plain UTC days (and in journals from before it was recorded). */
      readonly session?: { readonly timezone: string; readonly dayStartsAt: string };
      readonly feed: string;
      readonly intervalMs: number;
      readonly startedAtMs: number;
    }
  | { readonly k: 'order'; readonly order: Order; readonly qty: number; readonly seq: number }
  | {
      readonly k: 'bar';
      /** Open time, OHLCV of the bar the venue matched. */
      readonly t: number;
      readonly o: number;
      readonly h: number;
      readonly l: number;
      readonly c: number;
      readonly v: number;
      readonly fills: readonly JournalFill[];
      readonly cancels: readonly JournalCancel[];
    }
  | { readonly k: 'cancel'; readonly timeMs: number; readonly cancels: readonly JournalCancel[] }
  /** The decision taken at the close of bar `t` (the t-th bar record), for the session's decisions.csv. */
  | { readonly k: 'decision'; readonly t: number; readonly d: RecordedDecision }
  /** A trading-state change (kill, resume, trigger) while bar `t` was the last one. */
  | {
      readonly k: 'state';
      readonly t: number;
      /** `global`, `agent:ID` or `instrument:SYMBOL`. */
      readonly scope: string;
      readonly timeMs: number;
      readonly from: TradingState;
      readonly to: TradingState;
      readonly actor: string;
      readonly reason: string;
    };

export class JournalError extends Error {
  constructor(
    readonly path: string,
    readonly line: number | null,
    problem: string,
  ) {
    super(`journal ${path}${line === null ? '' : `:${line}`}: ${problem}`);
    this.name = 'JournalError';
  }
}

export interface JournalContents {
  readonly records: readonly JournalRecord[];
  /** Bytes of a torn last line cut off (0 when the file ended cleanly), and where they were kept. */
  readonly tornBytes: number;
  readonly tornSavedTo: string | null;
  /** The client order id of a decision's order cut off without its decision line (null: none), and where it was kept. */
  readonly uncommittedOrder: string | null;
  readonly uncommittedSavedTo: string | null;
  /** Records dropped as repeats: fills by trade id, orders by client order id. */
  readonly duplicatesDropped: number;
}

export class Journal {
  private fd: number;
  private unsynced = 0;
  private pending = '';
  /** Characters held before a write; 0 writes every line at once (see `append`). */
  bufferChars = 0;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Opens (creating) the journal for appending and returns what it already holds. */
  static open(path: string): { journal: Journal; contents: JournalContents } {
    const contents = readJournal(path, { repair: true });
    const fd = openSync(path, 'a', 0o600);
    return { journal: new Journal(path, fd), contents };
  }

  /**
   * Appends one record as one line: written at once (a kill -9 loses nothing appended) unless `bufferChars` > 0,
   * when lines are gathered up to that size first (a speed=max replay, whose lost tail is replayed again: the
   * file stays a prefix of what happened). Durable at the next `sync`.
   */
  append(record: JournalRecord): void {
    if (this.fd < 0) throw new JournalError(this.path, null, 'closed');
    this.pending += `${JSON.stringify(record)}\n`;
    this.unsynced++;
    if (this.pending.length > this.bufferChars) this.flush();
  }

  /** Writes the gathered lines (without fsync). */
  flush(): void {
    if (this.fd < 0 || this.pending === '') return;
    writeSync(this.fd, this.pending);
    this.pending = '';
  }

  /** Forces what was appended to disk (write, then fsync); cheap when nothing was. */
  sync(): void {
    if (this.fd < 0 || this.unsynced === 0) return;
    this.flush();
    fsyncSync(this.fd);
    this.unsynced = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Reads a journal: whole lines in order, repeats dropped. With `repair`, a torn last line is moved to
 * `<path>.torn-<offset>` and cut off (`dryRun`: left in the file, only skipped); without it, a torn line is an
 * error. So is a decision's order without its decision line (`<path>.uncommitted-<offset>`). A malformed whole line is always
 * an error (the file was edited or corrupted: refusing is the only safe answer for an account).
 */
export function readJournal(path: string, options: { repair: boolean; dryRun?: boolean }): JournalContents {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
      return { records: [], tornBytes: 0, tornSavedTo: null, uncommittedOrder: null, uncommittedSavedTo: null, duplicatesDropped: 0 };
    }
    throw err;
  }
  let tornBytes = 0;
  let tornSavedTo: string | null = null;
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) {
    const offset = Buffer.byteLength(text.slice(0, end));
    if (!options.repair) throw new JournalError(path, null, `ends with a torn line at byte ${offset}`);
    tornBytes = statSync(path).size - offset;
    tornSavedTo = `${path}.torn-${offset}`;
    if (options.dryRun !== true) cutTail(path, offset, tornSavedTo, text.slice(end));
    text = text.slice(0, end);
  }
  const records: JournalRecord[] = [];
  const tradeIds = new Set<string>();
  const orderIds = new Set<string>();
  let duplicatesDropped = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const record = parseRecord(path, i + 1, line);
    if (records.length === 0 && record.k !== 'open') throw new JournalError(path, i + 1, `the first record must be 'open', got '${record.k}'`);
    if (records.length > 0 && record.k === 'open') throw new JournalError(path, i + 1, `a second 'open' record`);
    if (record.k === 'order') {
      if (orderIds.has(record.order.clientOrderId)) {
        duplicatesDropped++;
        continue;
      }
      orderIds.add(record.order.clientOrderId);
    }
    if (record.k === 'bar') {
      const fresh = record.fills.filter((f) => !tradeIds.has(f.tradeId));
      duplicatesDropped += record.fills.length - fresh.length;
      for (const f of fresh) tradeIds.add(f.tradeId);
      records.push(fresh.length === record.fills.length ? record : { ...record, fills: fresh });
      continue;
    }
    records.push(record);
  }
  // The last record is the order of the decision at the last bar, but the decision line that commits it is missing.
  let uncommittedOrder: string | null = null;
  let uncommittedSavedTo: string | null = null;
  const last = records[records.length - 1];
  const open = records[0];
  if (last?.k === 'order' && open?.k === 'open') {
    let bars = 0;
    for (const r of records) if (r.k === 'bar') bars++;
    if (last.order.clientOrderId === decisionOrderId(open.sessionId, bars - 1)) {
      const start = text.lastIndexOf('\n', text.length - 2) + 1;
      const offset = Buffer.byteLength(text.slice(0, start));
      if (!options.repair) throw new JournalError(path, null, `ends with the order ${last.order.clientOrderId} without its decision line (byte ${offset})`);
      uncommittedOrder = last.order.clientOrderId;
      uncommittedSavedTo = `${path}.uncommitted-${offset}`;
      if (options.dryRun !== true) cutTail(path, offset, uncommittedSavedTo, text.slice(start));
      records.pop();
    }
  }
  return { records, tornBytes, tornSavedTo, uncommittedOrder, uncommittedSavedTo, duplicatesDropped };
}

/** An order the journal holds as working: accepted, neither filled in full nor cancelled. */
export interface JournaledOrder {
  readonly order: Order;
  /** Quantity the venue accepted (after lot rounding). */
  readonly qty: number;
  /** Quantity filled so far. */
  readonly filledQty: number;
}

/**
 * The orders working after the journal's last record, in the order they were accepted: the node's own record of
 * its open orders (what reconcile compares with the venue's, and what a restored paper venue works again). An
 * order is finished once filled in full (a quote-sized market order at its first fill) or cancelled.
 */
export function workingOrdersInJournal(records: readonly JournalRecord[]): Map<string, JournaledOrder> {
  const orders = new Map<string, { order: Order; qty: number; filledQty: number }>();
  const finished = new Set<string>();
  for (const r of records) {
    if (r.k === 'order') orders.set(r.order.clientOrderId, { order: r.order, qty: r.qty, filledQty: 0 });
    else if (r.k === 'bar') {
      for (const f of r.fills) {
        const o = orders.get(f.clientOrderId);
        if (o === undefined) continue;
        o.filledQty += f.qty;
        if (o.filledQty >= o.qty - 1e-12 || o.order.quoteQuantity !== undefined) finished.add(f.clientOrderId);
      }
      for (const c of r.cancels) finished.add(c.clientOrderId);
    } else if (r.k === 'cancel') for (const c of r.cancels) finished.add(c.clientOrderId);
  }
  const working = new Map<string, JournaledOrder>();
  for (const [id, o] of orders) if (!finished.has(id) && o.qty - o.filledQty > 0) working.set(id, o);
  return working;
}

/** The client order id of the decision taken at the close of the session's bar `t` (0-based). */
export function decisionOrderId(sessionId: string, t: number): string {
  return `${sessionId}-${t}`;
}

/** Keeps `tail` in `savedTo`, then cuts the journal at byte `offset` (durably). */
function cutTail(path: string, offset: number, savedTo: string, tail: string): void {
  writeFileSync(savedTo, tail);
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const positive = finite.refine((v) => v > 0, 'must be > 0');
const side = z.enum(['BUY', 'SELL']);
const cancelSchema = z.object({ clientOrderId: z.string().min(1), reason: z.string(), remainingQty: finite });
const orderSchema = z.object({
  clientOrderId: z.string().min(1),
  symbol: z.string().min(1),
  side,
  type: z.enum(['MARKET', 'LIMIT']),
  quantity: positive,
  quoteQuantity: positive.optional(),
  limitPrice: positive.optional(),
  timeInForce: z.enum(['GTC', 'IOC']),
  reduceOnly: z.boolean().optional(),
  createdAtMs: finite,
  agentId: z.string().optional(),
  referencePrice: positive.optional(),
});
const recordSchema = z.discriminatedUnion('k', [
  z.object({
    k: z.literal('open'),
    v: z.literal(JOURNAL_VERSION),
    sessionId: z.string().min(1),
    symbol: z.string().min(1),
    initialCash: positive,
    account: accountConfigSchema.optional(),
    session: z.strictObject({ timezone: z.string().min(1), dayStartsAt: z.string().min(1) }).optional(),
    feed: z.string(),
    intervalMs: positive,
    startedAtMs: finite,
  }),
  z.object({ k: z.literal('order'), order: orderSchema, qty: positive, seq: z.number().int() }),
  z.object({
    k: z.literal('bar'),
    t: finite,
    o: positive,
    h: positive,
    l: positive,
    c: positive,
    v: finite,
    fills: z.array(
      z.object({
        tradeId: z.string().min(1),
        clientOrderId: z.string().min(1),
        side,
        qty: positive,
        price: positive,
        fee: finite,
        liquidity: z.enum(['MAKER', 'TAKER']),
      }),
    ),
    cancels: z.array(cancelSchema),
  }),
  z.object({ k: z.literal('cancel'), timeMs: finite, cancels: z.array(cancelSchema) }),
  z.object({
    k: z.literal('decision'),
    t: z.number().int().min(0),
    d: z.object({
      state: z.number().int().min(0).max(TRADING_STATES.length - 1),
      proposed: z.number().int().min(-1),
      mask: z.number().int().min(0),
      maskRule: z.string(),
      gate: z.number().int().min(0).max(4),
      reason: z.string(),
      qty: finite,
      target: z.tuple([finite.nullable(), finite.nullable(), finite.nullable(), finite.nullable()]).nullable(),
      order: z.string().min(1).nullable(),
    }),
  }),
  z.object({
    k: z.literal('state'),
    t: z.number().int().min(-1),
    scope: z.string().min(1),
    timeMs: finite,
    from: z.enum(TRADING_STATES as unknown as [TradingState, ...TradingState[]]),
    to: z.enum(TRADING_STATES as unknown as [TradingState, ...TradingState[]]),
    actor: z.string(),
    reason: z.string(),
  }),
]);

function parseRecord(path: string, line: number, text: string): JournalRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JournalError(path, line, 'not a JSON line');
  }
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JournalError(path, line, `${issue === undefined ? '' : `${issue.path.join('.')}: ${issue.message}`}`);
  }
  return parsed.data;
}
