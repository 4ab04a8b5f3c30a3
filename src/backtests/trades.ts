/**
 * The trade list: fills grouped into round trips. A trade opens when the position leaves zero and closes
 * when it returns to zero; adding to or trimming the position belongs to the same trade. A fill that flips
 * the position closes one trade and opens the next with the remainder (its fee split pro rata).
 */
export type TradeSide = 'LONG' | 'SHORT';

export interface Trade {
  readonly id: number;
  readonly side: TradeSide;
  readonly entryBar: number;
  readonly entryTimeMs: number;
  /** Volume-weighted price of the fills that opened or added to the position. */
  readonly entryPrice: number;
  readonly exitBar: number;
  readonly exitTimeMs: number;
  /** Volume-weighted price of the fills that reduced the position (the last close for an open trade). */
  readonly exitPrice: number;
  /** Largest absolute position held during the trade, in base units. */
  readonly maxQty: number;
  /** Net of fees, in quote currency. */
  readonly pnl: number;
  /** pnl over the notional that opened the trade. */
  readonly returnPct: number;
  readonly fees: number;
  readonly barsHeld: number;
  /** Still open at the end of the run: marked, not closed, at the last close. */
  readonly open: boolean;
}

/** Every fill of a run, in columns that grow by doubling (no object per fill). */
export class FillLog {
  length = 0;
  bar = new Int32Array(64);
  /** Signed base units: > 0 bought, < 0 sold. */
  qty = new Float64Array(64);
  price = new Float64Array(64);
  fee = new Float64Array(64);

  push(bar: number, signedQty: number, price: number, fee: number): void {
    if (this.length === this.bar.length) this.grow();
    const i = this.length++;
    this.bar[i] = bar;
    this.qty[i] = signedQty;
    this.price[i] = price;
    this.fee[i] = fee;
  }

  private grow(): void {
    const n = this.bar.length * 2;
    const bar = new Int32Array(n);
    bar.set(this.bar);
    const qty = new Float64Array(n);
    qty.set(this.qty);
    const price = new Float64Array(n);
    price.set(this.price);
    const fee = new Float64Array(n);
    fee.set(this.fee);
    this.bar = bar;
    this.qty = qty;
    this.price = price;
    this.fee = fee;
  }

  tradedNotional(): number {
    let s = 0;
    for (let i = 0; i < this.length; i++) s += Math.abs(this.qty[i] * this.price[i]);
    return s;
  }
}

/** Builds round-trip trades from fills as they happen. */
export class TradeBook {
  readonly trades: Trade[] = [];
  private pos = 0;
  private side: TradeSide = 'LONG';
  private entryBar = 0;
  private entryTimeMs = 0;
  private entryQty = 0;
  private entryNotional = 0;
  private exitQty = 0;
  private exitNotional = 0;
  private fees = 0;
  private maxQty = 0;

  get positionQty(): number {
    return this.pos;
  }

  /** Books one fill: `signedQty` > 0 buys, < 0 sells, at `price`, paying `fee`. */
  onFill(bar: number, timeMs: number, signedQty: number, price: number, fee: number): void {
    if (signedQty === 0) return;
    if (this.pos !== 0 && Math.sign(signedQty) !== Math.sign(this.pos)) {
      const closing = Math.min(Math.abs(signedQty), Math.abs(this.pos));
      const closeShare = closing / Math.abs(signedQty);
      this.exitQty += closing;
      this.exitNotional += closing * price;
      this.fees += fee * closeShare;
      const rest = Math.abs(signedQty) - closing;
      this.pos += Math.sign(signedQty) * closing;
      // Dust from floating-point subtraction counts as flat, as in the ledger.
      if (Math.abs(this.pos) <= 1e-12 * Math.max(1, this.maxQty)) {
        this.pos = 0;
        this.close(bar, timeMs, price, false);
      }
      if (rest > 1e-12 * Math.abs(signedQty)) {
        this.open(bar, timeMs, Math.sign(signedQty) * rest, price, fee * (1 - closeShare));
      }
      return;
    }
    if (this.pos === 0) {
      this.open(bar, timeMs, signedQty, price, fee);
      return;
    }
    this.pos += signedQty;
    this.entryQty += Math.abs(signedQty);
    this.entryNotional += Math.abs(signedQty) * price;
    this.fees += fee;
    this.maxQty = Math.max(this.maxQty, Math.abs(this.pos));
  }

  /** Adds the still-open trade, marked at `closePrice`, and returns every trade. */
  finish(bar: number, timeMs: number, closePrice: number): Trade[] {
    if (this.pos === 0) return this.trades.slice();
    const snapshot = this.build(bar, timeMs, closePrice, true);
    return [...this.trades, snapshot];
  }

  private open(bar: number, timeMs: number, signedQty: number, price: number, fee: number): void {
    this.pos = signedQty;
    this.side = signedQty > 0 ? 'LONG' : 'SHORT';
    this.entryBar = bar;
    this.entryTimeMs = timeMs;
    this.entryQty = Math.abs(signedQty);
    this.entryNotional = Math.abs(signedQty) * price;
    this.exitQty = 0;
    this.exitNotional = 0;
    this.fees = fee;
    this.maxQty = Math.abs(signedQty);
  }

  private close(bar: number, timeMs: number, price: number, open: boolean): void {
    this.trades.push(this.build(bar, timeMs, price, open));
  }

  private build(bar: number, timeMs: number, markPrice: number, open: boolean): Trade {
    const side = this.side;
    // An open trade's remaining position is valued at the mark, as if closed there without cost.
    const remaining = this.entryQty - this.exitQty;
    const exitQty = this.exitQty + (open ? remaining : 0);
    const exitNotional = this.exitNotional + (open ? remaining * markPrice : 0);
    const sign = side === 'LONG' ? 1 : -1;
    const pnl = sign * (exitNotional - this.entryNotional) - this.fees;
    return {
      id: this.trades.length + 1,
      side,
      entryBar: this.entryBar,
      entryTimeMs: this.entryTimeMs,
      entryPrice: this.entryNotional / this.entryQty,
      exitBar: bar,
      exitTimeMs: timeMs,
      exitPrice: exitQty > 0 ? exitNotional / exitQty : markPrice,
      maxQty: this.maxQty,
      pnl,
      returnPct: this.entryNotional > 0 ? pnl / this.entryNotional : 0,
      fees: this.fees,
      barsHeld: bar - this.entryBar,
      open,
    };
  }
}
