/** The bars a session has seen, as one growing `Bars` (capacity doubles), so agents read history as in a backtest. */
import { type Bars, allocateBars, setBar, sliceBars } from '../core/index.js';

export class BarHistory {
  private buf: Bars = allocateBars(1024);
  length = 0;

  /** The bars so far as a view (replaced when the buffer grows: read it again after each `push`). */
  get bars(): Bars {
    return sliceBars(this.buf, 0, this.length);
  }

  /** The full buffer (length = capacity); rows below `length` are valid. */
  get buffer(): Bars {
    return this.buf;
  }

  push(time: number, open: number, high: number, low: number, close: number, volume: number): number {
    if (this.length === this.buf.length) this.grow();
    const i = this.length++;
    setBar(this.buf, i, time, open, high, low, close, volume);
    return i;
  }

  private grow(): void {
    const old = this.buf;
    const next = allocateBars(old.length * 2);
    next.time.set(old.time);
    next.open.set(old.open);
    next.high.set(old.high);
    next.low.set(old.low);
    next.close.set(old.close);
    next.volume.set(old.volume);
    this.buf = next;
  }
}
