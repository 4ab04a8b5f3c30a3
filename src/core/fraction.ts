/**
 * The one unit convention for shares of a whole: a field whose name ends in `_pct` (rule sets) or `Pct`
 * (configs) is a FRACTION, 0.2 = 20 %. A value that reads as a percent (20 for 20 %) is the likeliest unit
 * mistake there is and turns a limit into one that never binds, so it is refused with both readings shown.
 */
import { z } from 'zod';

/** `2000` → `2,000`; fractions to at most 12 significant digits, never in exponent form for the usual range. */
function formatAmount(v: number): string {
  return Number(v.toPrecision(12)).toLocaleString('en-US', { maximumFractionDigits: 12 });
}

/**
 * The message for a fraction field given what is probably a percent: both readings and the value to write.
 * `of` names the whole (`of equity`), `note` adds why the value may be there (an old config's unit).
 */
export function unitMistakeMessage(value: number, of = '', note = ''): string {
  const whole = of ? ` ${of}` : '';
  return (
    `is a fraction (0.2 = 20 %): ${formatAmount(value)} would mean ${formatAmount(value * 100)} %${whole}; ` +
    `if you meant ${formatAmount(value)} %, write ${formatAmount(value / 100)}${note ? ` (${note})` : ''}`
  );
}

export interface FractionBounds {
  /** Largest value allowed (as a fraction: 1 = 100 %). */
  readonly max: number;
  /** Whether `max` itself is allowed; a limit at 100 % that can never fire is refused with `false`. */
  readonly maxInclusive?: boolean;
  /** Whether 0 is allowed (default: no, a limit of 0 % blocks everything). */
  readonly zeroAllowed?: boolean;
  /** The whole the share is of, shown in the unit-mistake message (`of equity`). */
  readonly of?: string;
  /** Added to the unit-mistake message, e.g. that an older config used percents here. */
  readonly note?: string;
}

/**
 * A fraction field. Above its range but at most 100 times it (the value reads as a percent), the error shows
 * both readings; anything else out of range says the range, as a fraction and in percent.
 */
export function fractionSchema(bounds: FractionBounds): z.ZodNumber {
  const { max, maxInclusive = true, zeroAllowed = false, of = '', note = '' } = bounds;
  const range = `must be ${zeroAllowed ? 'from 0' : 'above 0'} and ${maxInclusive ? 'at most' : 'below'} ${formatAmount(max)} (a fraction: 0.2 = 20 %)`;
  return z.number({ error: 'must be a number' }).superRefine((v, ctx) => {
    const aboveMax = maxInclusive ? v > max : v >= max;
    const belowMin = zeroAllowed ? v < 0 : v <= 0;
    // A value in range as a percent (v / 100 ≤ max) is most likely one: say what it would mean either way.
    if (aboveMax && v / 100 <= max && v / 100 > 0) {
      ctx.addIssue({ code: 'custom', message: unitMistakeMessage(v, of, note), params: { valueShown: true } });
    } else if (aboveMax || belowMin) {
      ctx.addIssue({ code: 'custom', message: range });
    }
  });
}
