// A small strategy for the sandboxed-backtest specs: buys after `up` rising closes, sells after as many
// falling ones (actions: 0 HOLD, 1 BUY, 2 SELL, 3 CLOSE_POSITION). With `crashAt`, it throws at that bar;
// with `slowAt`, it spins for `slowMs` at that bar before answering.
let up = 3;
let crashAt = -1;
let slowAt = -1;
let slowMs = 0;
let last = NaN;
let streak = 0;
export default {
  init(spec) {
    up = spec.params.up ?? 3;
    crashAt = spec.params.crashAt ?? -1;
    slowAt = spec.params.slowAt ?? -1;
    slowMs = spec.params.slowMs ?? 0;
    if (spec.fields[5] !== 'close') throw new Error('unexpected observation layout');
  },
  decide(obs, mask) {
    const [t, , , , , close] = obs;
    if (t === crashAt) throw new Error(`deliberate crash at bar ${t}`);
    if (t === slowAt) for (const end = Date.now() + slowMs; Date.now() < end; );
    streak = close > last ? Math.max(1, streak + 1) : close < last ? Math.min(-1, streak - 1) : 0;
    last = close;
    if (streak >= up && mask[1] === 1) return 1;
    if (streak <= -up && mask[2] === 1) return 2;
    return 0;
  },
};
