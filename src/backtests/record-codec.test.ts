/** The record codec: a record through JSON text comes back bit for bit (files byte-equal), and damaged input is refused by name. */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRules } from '../constraints/index.js';
import { generateSynthetic } from '../data/index.js';
import { backtestInstrument } from './backtest-job.js';
import { RECORD_CODEC_VERSION, decodeBacktestRecord, encodeBacktestRecord } from './record-codec.js';
import { writeReportHtml } from './report-html.js';
import { writeRunFiles } from './report-files.js';
import type { BacktestRecord } from './run-record.js';
import { type BoxBacktestAgent, createRuleAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-record-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INSTRUMENT = backtestInstrument('TEST/USD');
const bars = generateSynthetic({ model: 'regime', bars: 400, seed: 9 });
const rules = parseRules({ max_position_pct: 0.6, max_drawdown_pct: 0.01 }, 'test rules');

/** Through JSON text, as a queue result travels. */
const roundTrip = (rec: BacktestRecord): BacktestRecord => decodeBacktestRecord(JSON.parse(JSON.stringify(encodeBacktestRecord(rec))), 'test');

function writtenFiles(name: string, rec: BacktestRecord): Map<string, string> {
  const d = join(dir, name);
  writeRunFiles(d, rec);
  writeReportHtml(join(d, 'report.html'), [rec], { title: 'codec' });
  return new Map(readdirSync(d).map((f) => [f, readFileSync(join(d, f), 'utf8')]));
}

/** The parts of an encoded record the damage tests change. */
interface Tagged {
  $typed: string;
  b64: string;
}
interface Encoded {
  v: number;
  equity: Tagged;
  decisions: { gate: Tagged; maskRule: Tagged; state: Tagged };
  metrics: Record<string, unknown>;
  trades?: unknown;
  surprise?: number;
}

const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('backtest record codec', () => {
  it('action_list_run_with_masks_fills_and_a_benchmark_then_decoded_files_equal_the_originals_byte_for_byte', async () => {
    const rec = await runBacktest({ bars, instrument: INSTRUMENT, agent: createRuleAgent('sma-cross:fast=3,slow=12,size=0.3'), initialCash: 10_000, rules });
    expect(rec.fills.length).toBeGreaterThan(0);
    expect(Object.keys(rec.metrics.masked_actions).length).toBeGreaterThan(0);
    const back = roundTrip(rec);
    const [a, b] = [writtenFiles('list-a', rec), writtenFiles('list-b', back)];
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [f, text] of a) expect(b.get(f), f).toBe(text);
    expect(back.fills.length).toBe(rec.fills.length);
    expect(bits(back.equity)).toBe(bits(rec.equity));
    expect(back.decisions.strings.names).toEqual(rec.decisions.strings.names);
    expect(back.decisions.countBy(back.decisions.maskRule)).toEqual(rec.decisions.countBy(rec.decisions.maskRule));
    // Key order kept: metrics.json lists the metrics as the run did.
    expect(Object.keys(back.metrics)).toEqual(Object.keys(rec.metrics));
  });

  it('box_run_with_nan_target_slots_then_every_bit_kept', async () => {
    const wobble: BoxBacktestAgent = { actionType: 'box', label: 'wobble', boxLow: -1, reset() {}, target: (ctx) => 0.8 * Math.sin(ctx.t / 5) };
    const rec = await runBacktest({ bars, instrument: INSTRUMENT, agent: wobble, initialCash: 10_000, rules, benchmark: false });
    const targets = rec.decisions.targets;
    expect(targets).not.toBeNull();
    // The last bar decides nothing: NaN slots, which JSON alone would turn into null.
    expect(Number.isNaN(targets?.proposed.at(-1))).toBe(true);
    const back = roundTrip(rec);
    expect(back.benchmarkEquity).toBeNull();
    for (const k of ['proposed', 'lo', 'hi', 'executed'] as const) expect(bits(back.decisions.targets?.[k] ?? new Float64Array())).toBe(bits(targets?.[k] ?? new Float64Array(1)));
    const [a, b] = [writtenFiles('box-a', rec), writtenFiles('box-b', back)];
    for (const [f, text] of a) expect(b.get(f), f).toBe(text);
  });

  it('non_finite_and_negative_zero_metrics_then_kept_exactly', async () => {
    const rec = await runBacktest({ bars, instrument: INSTRUMENT, agent: createRuleAgent('buy-and-hold'), initialCash: 10_000 });
    const odd = { ...rec, metrics: { ...rec.metrics, sharpe: Number.NaN, calmar: Number.POSITIVE_INFINITY, sortino: Number.NEGATIVE_INFINITY, total_return: -0 } };
    const back = roundTrip(odd);
    expect(back.metrics.sharpe).toBeNaN();
    expect(back.metrics.calmar).toBe(Number.POSITIVE_INFINITY);
    expect(back.metrics.sortino).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(back.metrics.total_return, -0)).toBe(true);
  });

  describe('damaged input is refused, naming what is wrong', () => {
    let encoded: Record<string, unknown>;
    beforeAll(async () => {
      const rec = await runBacktest({ bars: generateSynthetic({ model: 'gbm', bars: 60, seed: 1 }), instrument: INSTRUMENT, agent: createRuleAgent('sma-cross:fast=2,slow=5'), initialCash: 10_000, rules });
      encoded = JSON.parse(JSON.stringify(encodeBacktestRecord(rec))) as Record<string, unknown>;
    });
    const damaged = (change: (e: Encoded) => void): unknown => {
      const copy = structuredClone(encoded) as unknown as Encoded;
      change(copy);
      return copy;
    };

    it('other_version_then_says_worker_and_enqueuer_differ', () => {
      expect(() => decodeBacktestRecord(damaged((e) => (e.v = RECORD_CODEC_VERSION + 1)), 'job 7')).toThrow(/^job 7: record encoding version 2, this build reads 1/);
    });

    it('column_of_the_wrong_length_then_names_the_column', () => {
      const short = Buffer.from(new Float64Array(3).buffer).toString('base64');
      expect(() => decodeBacktestRecord(damaged((e) => (e.equity.b64 = short)), 'job 7')).toThrow(/job 7: equity has 3 entries, expected 60/);
      expect(() => decodeBacktestRecord(damaged((e) => (e.decisions.gate.b64 = 'AAA=')), 'job 7')).toThrow(/decisions\.gate has 2 entries, expected 60/);
    });

    it('wrong_array_type_or_bytes_then_names_the_path', () => {
      expect(() => decodeBacktestRecord(damaged((e) => (e.equity.$typed = 'Int16Array')), 'job 7')).toThrow(/equity/);
      expect(() => decodeBacktestRecord(damaged((e) => (e.equity.$typed = 'BigInt64Array')), 'job 7')).toThrow(/record\.equity: 'BigInt64Array' is not a typed array/);
      expect(() => decodeBacktestRecord(damaged((e) => (e.equity.b64 = 'AAAAAAA=')), 'job 7')).toThrow(/record\.equity: 5 bytes is not a whole number of Float64Array elements/);
      expect(() => decodeBacktestRecord(damaged((e) => (e.equity.b64 = '**not base64**')), 'job 7')).toThrow(/record\.equity: not base64/);
      expect(() => decodeBacktestRecord(damaged((e) => (e.metrics.sharpe = { $num: 'lots' })), 'job 7')).toThrow(/record\.metrics\.sharpe: 'lots' is not a tagged number/);
    });

    it('codes_past_their_tables_then_refused_rather_than_rendered_as_another_word', () => {
      const bad16 = Buffer.from(new Int16Array(60).fill(5).buffer).toString('base64');
      expect(() => decodeBacktestRecord(damaged((e) => (e.decisions.maskRule.b64 = bad16)), 'job 7')).toThrow(/decisions refer to strings past the table/);
      const bad8 = Buffer.from(new Uint8Array(60).fill(9).buffer).toString('base64');
      expect(() => decodeBacktestRecord(damaged((e) => (e.decisions.gate.b64 = bad8)), 'job 7')).toThrow(/decisions\.gate holds an unknown outcome code/);
      expect(() => decodeBacktestRecord(damaged((e) => (e.decisions.state.b64 = bad8)), 'job 7')).toThrow(/decisions\.state holds an unknown trading state/);
    });

    it('missing_or_extra_fields_then_named', () => {
      expect(() => decodeBacktestRecord(damaged((e) => delete e.trades), 'job 7')).toThrow(/trades/);
      expect(() => decodeBacktestRecord(damaged((e) => (e.surprise = 1)), 'job 7')).toThrow(/surprise/);
      expect(() => decodeBacktestRecord(damaged((e) => delete e.metrics.masked_actions), 'job 7')).toThrow(/metrics\.masked_actions/);
    });
  });
});
