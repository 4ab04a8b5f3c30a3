/**
 * The discrete trading actions an agent chooses from. They live in core because the Constraint Logic
 * Engine judges them and the env executes them: both must agree on what each index means.
 *
 * - HOLD: do nothing. Always index 0, always allowed.
 * - BUY / SELL: an order worth `fraction` of current equity, in quote currency.
 * - CLOSE_POSITION: an order that takes the position to zero.
 * - TARGET: an order that takes the position to `fraction` × equity in value (signed; −0.5 = half short).
 */
export type ActionKind = 'HOLD' | 'BUY' | 'SELL' | 'CLOSE_POSITION' | 'TARGET';

export interface ActionSpec {
  readonly name: string;
  readonly kind: ActionKind;
  /** Share of equity: the order's value for BUY/SELL, the target position's signed value for TARGET. */
  readonly fraction: number;
}

export const DEFAULT_ACTIONS: readonly ActionSpec[] = Object.freeze([
  { name: 'HOLD', kind: 'HOLD', fraction: 0 },
  { name: 'BUY_SMALL', kind: 'BUY', fraction: 0.05 },
  { name: 'BUY_LARGE', kind: 'BUY', fraction: 0.1 },
  { name: 'SELL_SMALL', kind: 'SELL', fraction: 0.05 },
  { name: 'SELL_LARGE', kind: 'SELL', fraction: 0.1 },
  { name: 'CLOSE_POSITION', kind: 'CLOSE_POSITION', fraction: 0 },
]);

export const HOLD_ACTION = 0;

/** Actions that move the position to each target level (shares of equity), after a HOLD at index 0. */
export function targetLevelActions(levels: readonly number[]): ActionSpec[] {
  return [
    { name: 'HOLD', kind: 'HOLD', fraction: 0 },
    ...levels.map((f) => ({ name: `TARGET_${f}`, kind: 'TARGET' as const, fraction: f })),
  ];
}

export function validateActionSet(actions: readonly ActionSpec[]): void {
  if (actions.length < 2) throw new RangeError('actions: need HOLD and at least one more action');
  if (actions[0].kind !== 'HOLD') throw new RangeError(`actions[0]: must be HOLD, got ${actions[0].kind}`);
  actions.forEach((a, i) => {
    if (!Number.isFinite(a.fraction)) throw new RangeError(`actions[${i}].fraction: must be finite, got ${a.fraction}`);
    if ((a.kind === 'BUY' || a.kind === 'SELL') && !(a.fraction > 0)) {
      throw new RangeError(`actions[${i}].fraction: must be > 0 for ${a.kind}, got ${a.fraction}`);
    }
  });
}

/**
 * Signed quantity the action would order, before lot rounding: > 0 buy, < 0 sell, 0 nothing.
 * `price` is the price the order is sized at (the fill model's reference price).
 */
export function actionOrderQty(action: ActionSpec, positionQty: number, equity: number, price: number): number {
  if (!(price > 0) || !(equity > 0)) return action.kind === 'CLOSE_POSITION' ? -positionQty : 0;
  switch (action.kind) {
    case 'HOLD':
      return 0;
    case 'BUY':
      return (action.fraction * equity) / price;
    case 'SELL':
      return -(action.fraction * equity) / price;
    case 'CLOSE_POSITION':
      return -positionQty;
    case 'TARGET':
      return (action.fraction * equity) / price - positionQty;
  }
}

/**
 * Signed quantity a Box (target-position) action orders, before lot rounding: the position taken to
 * `target` × equity in value at `price`, the target first clipped to the Box range [`low`, 1]. With no
 * positive equity it closes the position. The trading env and the backtest both size targets with it.
 */
export function targetOrderQty(target: number, low: number, positionQty: number, equity: number, price: number): number {
  const x = target < low ? low : target > 1 ? 1 : target;
  return equity > 0 ? (x * equity) / price - positionQty : -positionQty;
}
