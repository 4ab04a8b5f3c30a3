import { type TradingSession, isUtcSession, parseTradingSession } from './trading-day.js';

export type InstrumentKind = 'spot' | 'perpetual';

/** A tradable instrument and its exchange rules. Prices are in `quote`, quantities in `base`. */
export interface Instrument {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  /** Smallest price increment, in quote currency. */
  readonly tickSize: number;
  /** Smallest quantity increment, in base units. */
  readonly lotSize: number;
  /** Smallest order value accepted, in quote currency. */
  readonly minNotional: number;
  readonly kind: InstrumentKind;
  /** When its trading day starts (daily-loss limit, trades per day, the day's PnL); absent: UTC days. */
  readonly session?: TradingSession;
}

export function defineInstrument(
  fields: Pick<Instrument, 'symbol'> & Partial<Omit<Instrument, 'symbol'>>,
): Instrument {
  const [base = fields.symbol, quote = 'USD'] = fields.symbol.split('/');
  const inst: Instrument = {
    symbol: fields.symbol,
    base: fields.base ?? base,
    quote: fields.quote ?? quote,
    tickSize: fields.tickSize ?? 0.01,
    lotSize: fields.lotSize ?? 0.0001,
    minNotional: fields.minNotional ?? 0,
    kind: fields.kind ?? 'spot',
    // Plain UTC days are the default: no session field, so such an instrument looks as it always did.
    ...(isUtcSession(fields.session) ? {} : { session: parseTradingSession(fields.session ?? {}, `instrument ${fields.symbol}`, 'session.') }),
  };
  const problems: string[] = [];
  if (!inst.symbol) problems.push('symbol: must not be empty');
  if (!(inst.tickSize > 0)) problems.push(`tickSize: must be > 0, got ${inst.tickSize}`);
  if (!(inst.lotSize > 0)) problems.push(`lotSize: must be > 0, got ${inst.lotSize}`);
  if (!(inst.minNotional >= 0)) problems.push(`minNotional: must be >= 0, got ${inst.minNotional}`);
  if (problems.length > 0) throw new RangeError(`instrument ${inst.symbol}: ${problems.join('; ')}`);
  return inst;
}

/** `instrument` with its trading day set to `session` (unchanged when `session` is undefined). */
export function withTradingSession(instrument: Instrument, session: TradingSession | undefined): Instrument {
  if (session === undefined) return instrument;
  return defineInstrument({ ...instrument, session });
}
