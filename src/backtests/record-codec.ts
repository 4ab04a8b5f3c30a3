/**
 * A BacktestRecord as JSON and back, bit for bit: a walk-forward window run by a queue worker on another machine
 * comes back as this, and the enqueuing command writes the same files and report from it as from a local run.
 * Typed arrays travel as base64 of their bytes (every bit kept, NaN included; little-endian, the byte order of
 * every platform Node runs on); a non-finite number or -0 elsewhere travels as a tagged object, since JSON has
 * none of them. Decoding validates the shape and the column lengths before rebuilding the logs.
 */
import { z } from 'zod';
import { type ActionSpec, type Bars, parseWithSchema } from '../core/index.js';
import { TRADING_STATES, DecisionLog, GATE_OUTCOMES } from './decision-log.js';
import type { BacktestMetrics, BacktestRecord, KillSwitchEvent, LiquidationEvent, LimitsInfo } from './run-record.js';
import { FillLog, type Trade } from './trades.js';

/** Bumped when the encoding changes: a worker and an enqueuer of different versions then fail clearly. */
export const RECORD_CODEC_VERSION = 1;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const TYPED_ARRAYS = { Float64Array, Int32Array, Int16Array, Uint32Array, Uint8Array } as const;
type TypedName = keyof typeof TYPED_ARRAYS;
type Typed = InstanceType<(typeof TYPED_ARRAYS)[TypedName]>;

function typedName(v: unknown): TypedName | null {
  for (const name of Object.keys(TYPED_ARRAYS) as TypedName[]) if (v instanceof TYPED_ARRAYS[name]) return name;
  return null;
}

/** Plain data (and typed arrays) as JSON values; anything else (a function, a Map, a class with state) is a bug here. */
function toJson(v: unknown, path: string): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $num: 'NaN' };
    if (v === Infinity) return { $num: 'Infinity' };
    if (v === -Infinity) return { $num: '-Infinity' };
    if (Object.is(v, -0)) return { $num: '-0' };
    return v;
  }
  const name = typedName(v);
  if (name !== null) {
    const a = v as Typed;
    return { $typed: name, b64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
  }
  if (Array.isArray(v)) return v.map((x, i) => toJson(x, `${path}[${i}]`));
  if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJson(x, `${path}.${k}`);
    return out;
  }
  throw new TypeError(`${path}: cannot encode a ${typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v}`);
}

const NUMS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, '-0': -0 };

/** The inverse of toJson: tagged objects back to numbers and typed arrays; errors name the path. */
function fromJson(v: unknown, path: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => fromJson(x, `${path}[${i}]`));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && typeof o.$num === 'string') {
    const n = NUMS[o.$num];
    if (n === undefined) throw new RangeError(`${path}: '${o.$num}' is not a tagged number (NaN, Infinity, -Infinity, -0)`);
    return n;
  }
  if (keys.length === 2 && typeof o.$typed === 'string' && typeof o.b64 === 'string') {
    const name = o.$typed as TypedName;
    const Ctor = Object.hasOwn(TYPED_ARRAYS, name) ? TYPED_ARRAYS[name] : undefined;
    if (Ctor === undefined) throw new RangeError(`${path}: '${o.$typed}' is not a typed array this codec knows`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(o.b64)) throw new RangeError(`${path}: not base64`);
    const bytes = Buffer.from(o.b64, 'base64');
    if (bytes.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) {
      throw new RangeError(`${path}: ${bytes.byteLength} bytes is not a whole number of ${name} elements`);
    }
    // A copy into a fresh, aligned buffer (the decoded Buffer may sit at any offset of a shared pool).
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    return new Ctor(copy.buffer);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = fromJson(x, `${path}.${k}`);
  return out;
}

/** The record as a JSON-safe value (pass it through JSON.stringify and decodeBacktestRecord to get it back). */
export function encodeBacktestRecord(rec: BacktestRecord): Json {
  const d = rec.decisions;
  const f = rec.fills;
  return toJson(
    {
      v: RECORD_CODEC_VERSION,
      agent: rec.agent,
      bars: { ...rec.bars },
      actions: rec.actions.map((a) => ({ ...a })),
      equity: rec.equity,
      positionQty: rec.positionQty,
      benchmarkEquity: rec.benchmarkEquity,
      // The fill columns grow by doubling: only the first `length` entries are fills.
      fills: { bar: f.bar.subarray(0, f.length), qty: f.qty.subarray(0, f.length), price: f.price.subarray(0, f.length), fee: f.fee.subarray(0, f.length) },
      trades: rec.trades.map((t) => ({ ...t })),
      decisions: {
        length: d.length,
        proposed: d.proposed,
        maskBits: d.maskBits,
        maskRule: d.maskRule,
        gate: d.gate,
        gateReason: d.gateReason,
        orderQty: d.orderQty,
        state: d.state,
        targets: d.targets === null ? null : { proposed: d.targets.proposed, lo: d.targets.lo, hi: d.targets.hi, executed: d.targets.executed },
        strings: [...d.strings.names],
      },
      killSwitchEvents: rec.killSwitchEvents.map((e) => ({ ...e })),
      liquidations: rec.liquidations.map((e) => ({ ...e })),
      limits: { ...rec.limits },
      metrics: rec.metrics,
    },
    'record',
  );
}

const f64 = z.instanceof(Float64Array, { message: 'expected a Float64Array' });
const num = z.number();
const count = z.number().int().min(0);
const stateName = z.enum(TRADING_STATES as [string, ...string[]]);

const tradeSchema = z.strictObject({
  id: num,
  side: z.enum(['LONG', 'SHORT']),
  entryBar: num,
  entryTimeMs: num,
  entryPrice: num,
  exitBar: num,
  exitTimeMs: num,
  exitPrice: num,
  maxQty: num,
  pnl: num,
  returnPct: num,
  fees: num,
  barsHeld: num,
  open: z.boolean(),
});

/** The metrics the outputs read by name are checked; the rest (a growing list) travels as it came. */
const metricsSchema = z.looseObject({
  agent: z.string(),
  bars: count,
  masked_actions: z.record(z.string(), num),
  rejections: z.record(z.string(), num),
});

const encodedSchema = z.strictObject({
  v: z.literal(RECORD_CODEC_VERSION),
  agent: z.string(),
  bars: z.strictObject({ length: count, time: f64, open: f64, high: f64, low: f64, close: f64, volume: f64 }),
  actions: z.array(z.strictObject({ name: z.string(), kind: z.enum(['HOLD', 'BUY', 'SELL', 'CLOSE_POSITION', 'TARGET']), fraction: num })),
  equity: f64,
  positionQty: f64,
  benchmarkEquity: f64.nullable(),
  fills: z.strictObject({ bar: z.instanceof(Int32Array), qty: f64, price: f64, fee: f64 }),
  trades: z.array(tradeSchema),
  decisions: z.strictObject({
    length: count,
    proposed: z.instanceof(Int16Array),
    maskBits: z.instanceof(Uint32Array),
    maskRule: z.instanceof(Int16Array),
    gate: z.instanceof(Uint8Array),
    gateReason: z.instanceof(Int16Array),
    orderQty: f64,
    state: z.instanceof(Uint8Array),
    targets: z.strictObject({ proposed: f64, lo: f64, hi: f64, executed: f64 }).nullable(),
    strings: z.array(z.string()),
  }),
  killSwitchEvents: z.array(z.strictObject({ bar: num, timeMs: num, from: stateName, to: stateName, actor: z.string(), reason: z.string() })),
  liquidations: z.array(z.strictObject({ bar: num, timeMs: num, positionQty: num, price: num, equity: num, requirement: num })),
  limits: z.strictObject({ applied: z.boolean(), note: z.string(), maxDrawdown: num.nullable() }),
  metrics: metricsSchema,
});

function sameLength(source: string, field: string, got: number, want: number): void {
  if (got !== want) throw new RangeError(`${source}: ${field} has ${got} entries, expected ${want}`);
}

/** Rebuilds a record from encodeBacktestRecord's value; `source` names it in errors (e.g. the job id). */
export function decodeBacktestRecord(data: unknown, source: string): BacktestRecord {
  if (typeof data === 'object' && data !== null && 'v' in data && data.v !== RECORD_CODEC_VERSION) {
    throw new RangeError(`${source}: record encoding version ${String(data.v)}, this build reads ${RECORD_CODEC_VERSION} (worker and enqueuer run different Bulwark versions)`);
  }
  const revived = fromJson(data, 'record');
  parseWithSchema(encodedSchema, revived, source);
  // The checked value itself, not zod's copy: a copy lists the known keys first, and metrics.json must keep the worker's order.
  const e = revived as z.output<typeof encodedSchema>;
  const n = e.bars.length;
  for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) sameLength(source, `bars.${k}`, e.bars[k].length, n);
  sameLength(source, 'equity', e.equity.length, n);
  sameLength(source, 'positionQty', e.positionQty.length, n);
  if (e.benchmarkEquity !== null) sameLength(source, 'benchmarkEquity', e.benchmarkEquity.length, n);
  const nf = e.fills.bar.length;
  for (const k of ['qty', 'price', 'fee'] as const) sameLength(source, `fills.${k}`, e.fills[k].length, nf);
  const d = e.decisions;
  for (const k of ['proposed', 'maskBits', 'maskRule', 'gate', 'gateReason', 'orderQty', 'state'] as const) sameLength(source, `decisions.${k}`, d[k].length, d.length);
  if (d.targets !== null) for (const k of ['proposed', 'lo', 'hi', 'executed'] as const) sameLength(source, `decisions.targets.${k}`, d.targets[k].length, d.length);
  // Codes index fixed lists and the string table: an index past them would render as a wrong word, so refuse.
  const badIndex = (col: Int16Array, size: number): boolean => col.some((x) => x < -1 || x >= size);
  if (badIndex(d.maskRule, d.strings.length) || badIndex(d.gateReason, d.strings.length)) throw new RangeError(`${source}: decisions refer to strings past the table's ${d.strings.length}`);
  if (badIndex(d.proposed, Math.max(e.actions.length, 1))) throw new RangeError(`${source}: decisions.proposed refers to actions past the ${e.actions.length} given`);
  if (d.gate.some((g) => g >= GATE_OUTCOMES.length)) throw new RangeError(`${source}: decisions.gate holds an unknown outcome code`);
  if (d.state.some((s) => s >= TRADING_STATES.length)) throw new RangeError(`${source}: decisions.state holds an unknown trading state`);

  const decisions = new DecisionLog(d.length, { targets: d.targets !== null });
  for (const name of d.strings) decisions.strings.intern(name);
  if (decisions.strings.names.length !== d.strings.length) throw new RangeError(`${source}: decisions.strings repeats a string`);
  decisions.proposed.set(d.proposed);
  decisions.maskBits.set(d.maskBits);
  decisions.maskRule.set(d.maskRule);
  decisions.gate.set(d.gate);
  decisions.gateReason.set(d.gateReason);
  decisions.orderQty.set(d.orderQty);
  decisions.state.set(d.state);
  if (d.targets !== null && decisions.targets !== null) {
    decisions.targets.proposed.set(d.targets.proposed);
    decisions.targets.lo.set(d.targets.lo);
    decisions.targets.hi.set(d.targets.hi);
    decisions.targets.executed.set(d.targets.executed);
  }
  const fills = new FillLog();
  for (let i = 0; i < nf; i++) fills.push(e.fills.bar[i], e.fills.qty[i], e.fills.price[i], e.fills.fee[i]);
  const bars: Bars = e.bars;
  return {
    agent: e.agent,
    bars,
    actions: e.actions satisfies ActionSpec[],
    equity: e.equity,
    positionQty: e.positionQty,
    benchmarkEquity: e.benchmarkEquity,
    fills,
    trades: e.trades satisfies Trade[],
    decisions,
    killSwitchEvents: e.killSwitchEvents as KillSwitchEvent[],
    liquidations: e.liquidations satisfies LiquidationEvent[],
    limits: e.limits satisfies LimitsInfo,
    // The named fields are checked above; the rest are the worker's own metrics, written as they came.
    metrics: e.metrics as unknown as BacktestMetrics,
  };
}
