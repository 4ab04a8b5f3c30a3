/**
 * Rounding to an instrument's tick and lot. The small epsilon absorbs binary fractions such as
 * 0.3 / 0.1 = 2.9999999999999996, which would otherwise floor one lot short.
 */
const EPS = 1e-9;

export function decimalsOf(step: number): number {
  if (!(step > 0)) return 0;
  const s = step.toString();
  if (s.includes('e-')) return Number(s.split('e-')[1]);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function snap(n: number, step: number): number {
  const d = decimalsOf(step);
  const f = 10 ** Math.min(d, 12);
  return Math.round(n * step * f) / f;
}

/** Nearest multiple of `tick`. */
export function roundToTick(price: number, tick: number): number {
  if (!(tick > 0)) return price;
  return snap(Math.round(price / tick), tick);
}

/** Multiple of `tick` at or above `price` (a buyer's worst case). */
export function ceilToTick(price: number, tick: number): number {
  if (!(tick > 0)) return price;
  return snap(Math.ceil(price / tick - EPS), tick);
}

/** Multiple of `tick` at or below `price` (a seller's worst case). */
export function floorToTick(price: number, tick: number): number {
  if (!(tick > 0)) return price;
  return snap(Math.floor(price / tick + EPS), tick);
}

/** Largest multiple of `lot` not above `qty` (quantities are never rounded up). */
export function floorToLot(qty: number, lot: number): number {
  if (!(lot > 0)) return qty;
  return snap(Math.floor(qty / lot + EPS), lot);
}

/**
 * True when `x` is a multiple of `step` within floating-point tolerance. The tolerance is absolute, in units of
 * `x`: a millionth of a step, or a few ulps of `x` when that is larger. (Comparing `x / step` with its rounding
 * instead would refuse 100 in lots of 1e-8: the quotient 1e10 carries float noise far above any fixed epsilon.)
 */
export function isMultipleOf(x: number, step: number): boolean {
  if (!(step > 0)) return true;
  const nearest = Math.round(x / step) * step;
  return Math.abs(x - nearest) <= Math.max(step * 1e-6, Math.abs(x) * 4e-15);
}

export function bpsToFraction(bps: number): number {
  return bps / 10_000;
}
