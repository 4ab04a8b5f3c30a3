/**
 * `PaperVenue`: the sim fill model on a live (or replayed) feed. It *is* a `SimVenue` — the same matching a
 * backtest uses: a market order fills at the next price the feed gives (the next bar's open), a limit rests
 * until a bar crosses it, with the same fees, spread, slippage, partial fills and lot, tick and min-notional
 * checks — plus a journal: every accepted order, every matched bar (with its fills and cancellations) and every
 * cancellation is a journal line before the caller hears of it, so a restarted session rebuilds the account
 * (cash, position, open orders, fills) exactly from the file.
 *
 * A client order id is accepted once per session, ever: a retried submit (after a crash, the same decision
 * again) is refused as DUPLICATE_CLIENT_ORDER_ID, never a second order.
 */
import { type BarRecord, type Fill, type Instrument, type Order, renderReason } from '../core/index.js';
import {
  type AccountModel,
  type OpenOrder,
  type SequencedFill,
  type SimFillConfigInput,
  type SubmitResult,
  type VenueEvent,
  CASH_ACCOUNT,
  SimVenue,
} from '../venues/index.js';
import { type Journal, type JournalCancel, type JournalFill, type JournalRecord, workingOrdersInJournal } from './journal.js';

export interface PaperVenueOptions {
  readonly instrument: Instrument;
  readonly fill?: SimFillConfigInput;
  readonly initialCash: number;
  /** The account the venue keeps (venues/account-model.ts): a cash account when absent, as in a backtest. */
  readonly account?: AccountModel;
  /** Where orders, bars and cancellations go; null keeps the account in memory only. */
  readonly journal: Journal | null;
}

/** The account as the venue holds it. */
export interface PaperBalances {
  /** Quote currency: starting cash less what fills bought, plus what they sold, less fees. */
  readonly cash: number;
  /** Signed base units. */
  readonly positionQty: number;
  /** Cash plus the position at the last bar's close. */
  readonly equity: number;
  readonly feesPaid: number;
  /** The last bar's close, or NaN before the first bar. */
  readonly lastPrice: number;
  /** Open time of the last bar the venue matched, or NaN. */
  readonly lastBarTimeMs: number;
}

/** What a restore found in the journal. */
export interface RestoreSummary {
  readonly orders: number;
  readonly fills: number;
  readonly bars: number;
  /** Orders still working after the journal's last record (they go on working). */
  readonly working: readonly string[];
}

export class PaperVenue extends SimVenue {
  readonly initialCash: number;
  private readonly journal: Journal | null;
  private readonly seenIds = new Set<string>();
  private readonly fillCount = new Map<string, number>();
  private readonly fillList: SequencedFill[] = [];
  private readonly filledQty = new Map<string, number>();
  private cash: number;
  private feesPaid = 0;
  private lastPrice = Number.NaN;
  private lastBarTimeMs = Number.NaN;
  private orderSeq = 0;
  private restoring = false;

  constructor(options: PaperVenueOptions) {
    if (!(options.initialCash > 0 && Number.isFinite(options.initialCash))) throw new RangeError(`initialCash: must be a number > 0, got ${options.initialCash}`);
    super({
      instrument: options.instrument,
      ...(options.fill === undefined ? {} : { fill: options.fill }),
      fillHistory: 0,
      account: options.account ?? CASH_ACCOUNT,
      initialCash: options.initialCash,
    });
    if (!(options.initialCash > 0 && Number.isFinite(options.initialCash))) throw new RangeError(`initialCash: must be a number > 0, got ${options.initialCash}`);
    this.initialCash = options.initialCash;
    this.cash = options.initialCash;
    this.journal = options.journal;
  }

  override submit(order: Order): SubmitResult {
    const id = order.clientOrderId;
    if (this.seenIds.has(id)) {
      return { accepted: false, clientOrderId: id, reason: 'DUPLICATE_CLIENT_ORDER_ID', message: renderReason('DUPLICATE_CLIENT_ORDER_ID', { clientOrderId: id, problem: 'used before in this session' }) };
    }
    const result = super.submit(order);
    if (!result.accepted) return result;
    this.seenIds.add(id);
    if (!this.restoring) this.journal?.append({ k: 'order', order, qty: result.quantity, seq: this.orderSeq });
    this.orderSeq++;
    return result;
  }

  override cancel(clientOrderId: string, timeMs = 0): VenueEvent | null {
    const e = super.cancel(clientOrderId, timeMs);
    if (e !== null && e.type === 'CANCELLED' && !this.restoring) {
      this.journal?.append({ k: 'cancel', timeMs, cancels: [{ clientOrderId, reason: e.reason, remainingQty: e.remainingQty }] });
    }
    return e;
  }

  /** Matches the working orders against `bar` (the sim model), journals the bar with what it caused, books the fills. */
  override onBar(bar: BarRecord): readonly VenueEvent[] {
    const events = super.onBar(bar);
    const fills: JournalFill[] = [];
    const cancels: JournalCancel[] = [];
    for (const e of events) {
      // The sim rewrites its fill events on the next bar: book a copy.
      if (e.type === 'FILL') fills.push(this.book({ ...e.fill }));
      else if (e.type !== 'LIQUIDATION') cancels.push({ clientOrderId: e.clientOrderId, reason: e.reason, remainingQty: e.type === 'CANCELLED' ? e.remainingQty : 0 });
    }
    this.lastPrice = bar.close;
    this.lastBarTimeMs = bar.time;
    this.journal?.append({ k: 'bar', t: bar.time, o: bar.open, h: bar.high, l: bar.low, c: bar.close, v: bar.volume, fills, cancels });
    return events;
  }

  override openOrders(): OpenOrder[] {
    // After a restore the sim holds only the remainder; report the order as first accepted.
    return super.openOrders().map((o) => {
      const before = this.filledQty.get(o.order.clientOrderId) ?? 0;
      const sinceRestore = o.filledQty;
      const filled = Math.max(before, sinceRestore);
      return { ...o, quantity: Math.max(o.quantity, o.order.quantity), filledQty: filled };
    });
  }

  override fills(fromSeq = 0): readonly SequencedFill[] {
    return fromSeq <= 0 ? this.fillList.slice() : this.fillList.slice(fromSeq);
  }

  balances(): PaperBalances {
    const price = this.lastPrice;
    return {
      cash: this.cash,
      positionQty: this.positionQty,
      equity: this.cash + (Number.isNaN(price) ? 0 : this.positionQty * price),
      feesPaid: this.feesPaid,
      lastPrice: price,
      lastBarTimeMs: this.lastBarTimeMs,
    };
  }

  /**
   * Rebuilds the account from journal records (a fresh venue only): fills booked once each, orders that
   * finished dropped, the rest working again for their unfilled remainder.
   */
  restore(records: readonly JournalRecord[]): RestoreSummary {
    if (this.seenIds.size > 0 || this.fillList.length > 0) throw new Error('restore: the venue already traded; restore into a fresh venue');
    const symbols = new Map<string, string>();
    let orders = 0;
    let bars = 0;
    this.restoring = true;
    try {
      for (const r of records) {
        switch (r.k) {
          case 'order':
            orders++;
            symbols.set(r.order.clientOrderId, r.order.symbol);
            this.seenIds.add(r.order.clientOrderId);
            this.orderSeq = Math.max(this.orderSeq, r.seq + 1);
            break;
          case 'bar':
            bars++;
            for (const f of r.fills) {
              this.book({
                clientOrderId: f.clientOrderId,
                symbol: symbols.get(f.clientOrderId) ?? this.instrument.symbol,
                side: f.side,
                quantity: f.qty,
                price: f.price,
                fee: f.fee,
                liquidity: f.liquidity,
                timeMs: r.t,
              });
              this.positionQty += f.side === 'BUY' ? f.qty : -f.qty;
            }
            this.lastPrice = r.c;
            this.lastBarTimeMs = r.t;
            break;
          default:
            break;
        }
      }
      const position = this.positionQty;
      this.reset(position, this.cash, Number.isNaN(this.lastPrice) ? 0 : this.lastPrice);
      const working: string[] = [];
      for (const [id, { order, qty, filledQty }] of workingOrdersInJournal(records)) {
        // Working again for what is left, under its own id (the sim keeps no memory of the first part).
        this.seenIds.delete(id);
        const again = this.submit(order.quoteQuantity === undefined ? { ...order, quantity: qty - filledQty } : order);
        if (again.accepted) working.push(id);
      }
      return { orders, fills: this.fillList.length, bars, working };
    } finally {
      this.restoring = false;
    }
  }

  /** Books one fill into cash and the fill list; returns its journal line with a stable trade id. */
  private book(fill: Fill): JournalFill {
    const id = fill.clientOrderId;
    const n = this.fillCount.get(id) ?? 0;
    this.fillCount.set(id, n + 1);
    this.filledQty.set(id, (this.filledQty.get(id) ?? 0) + fill.quantity);
    const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
    this.cash -= signed * fill.price + fill.fee;
    this.feesPaid += fill.fee;
    this.fillList.push({ seq: this.fillList.length, fill });
    return { tradeId: `${id}#${n}`, clientOrderId: id, side: fill.side, qty: fill.quantity, price: fill.price, fee: fill.fee, liquidity: fill.liquidity };
  }
}
