import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineInstrument } from '../core/index.js';
import { parseRules } from '../constraints/index.js';
import { generateSynthetic } from '../data/index.js';
import { buildChartData } from './chart-data.js';
import { renderReportHtml } from './report-html.js';
import { writeRunFiles } from './report-files.js';
import { openRunAudit } from './run-audit.js';
import { createRuleAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';
import { summaryTable } from './summary-table.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = generateSynthetic({ model: 'regime', bars: 500, seed: 2 });
const instrument = defineInstrument({ symbol: 'SYN/USD', tickSize: 1e-8, lotSize: 1e-8 });
const run = () =>
  runBacktest({
    bars: data,
    instrument,
    agent: createRuleAgent('random:p=0.2,size=0.2'),
    initialCash: 10_000,
    seed: 4,
    rules: parseRules({ max_position_pct: 0.3 }),
    schedule: [{ atMs: data.time[300], action: 'hard_kill', operator: 'ops', reason: 'drill' }],
  });

describe('report files', () => {
  it('writes metrics.json with every issue key and one CSV row per bar, trade and decision', async () => {
    const rec = await run();
    writeRunFiles(dir, rec);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    for (const key of [
      'total_return', 'cagr', 'volatility', 'sharpe', 'sortino', 'calmar', 'max_drawdown', 'max_drawdown_duration_bars',
      'cvar_95', 'win_rate', 'profit_factor', 'exposure', 'turnover', 'n_trades', 'fees_paid', 'final_equity',
      'masked_actions', 'rejections', 'kill_switch_events', 'benchmark',
    ]) {
      expect(metrics, key).toHaveProperty(key);
    }
    const equity = readFileSync(join(dir, 'equity.csv'), 'utf8').trim().split('\n');
    expect(equity[0]).toBe('bar,time,open,close,equity,benchmark_equity,position_qty,drawdown');
    expect(equity).toHaveLength(data.length + 1);
    const trades = readFileSync(join(dir, 'trades.csv'), 'utf8').trim().split('\n');
    expect(trades).toHaveLength(rec.trades.length + 1);
    const decisions = readFileSync(join(dir, 'decisions.csv'), 'utf8').trim().split('\n');
    expect(decisions).toHaveLength(data.length + 1);
    expect(decisions[0]).toBe('bar,time,trading_state,proposed,allowed,mask_rule,gate,reason,order_qty,position_qty,equity');
    expect(decisions.some((l) => l.includes(',HALTED,') && l.includes('TRADING_HALTED'))).toBe(true);
  });
});

describe('report.html', () => {
  it('inlines uPlot and its data and loads nothing from the network', async () => {
    const rec = await run();
    const html = renderReportHtml([rec], { title: 'Spec <run>', notes: ['seed 4'] });
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain('Spec &lt;run&gt;');
    expect(html).toContain('Kill-switch events');
    expect(html).toContain(rec.limits.note);
  });

  it('draws five charts per run whose series all have one value per point (script run on a stub DOM)', async () => {
    const rec = await run();
    const html = renderReportHtml([rec, rec], { title: 't' });
    const json = /<script id="bulwark-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const client = scripts[scripts.length - 1];
    const calls: { series: unknown[]; data: unknown[][] }[] = [];
    const element = () => ({ dataset: {} as Record<string, unknown>, appendChild: () => undefined });
    const runs = [element(), element()];
    const document = {
      body: { clientWidth: 1200 },
      createElement: element,
      getElementById: (id: string) => (id === 'bulwark-data' ? { textContent: json } : runs[Number(id.slice(4))]),
    };
    function uPlot(opts: { series: unknown[] }, data: unknown[][]): void {
      calls.push({ series: opts.series, data });
    }
    uPlot.paths = { stepped: () => () => null };
    new Function('document', 'uPlot', client)(document, uPlot);
    expect(calls).toHaveLength(10);
    for (const c of calls) {
      expect(c.data.length).toBe(c.series.length);
      for (const col of c.data) expect((col as unknown[]).length).toBe((c.data[0] as unknown[]).length);
    }
  });

  it('reduces long series to the point budget without dropping trades or events', async () => {
    const rec = await run();
    const chart = buildChartData(rec, 50);
    expect(chart.x.length).toBeLessThanOrEqual(50);
    const buys = rec.fills.qty.subarray(0, rec.fills.length).filter((q) => q > 0).length;
    expect(buys).toBeGreaterThan(0);
    expect(chart.buys.some((v) => v !== null)).toBe(true);
    expect(chart.kill.filter((v) => v !== null)).toHaveLength(1);
    expect(chart.equity[chart.equity.length - 1]).toBe(rec.equity[rec.equity.length - 1]);
  });
});

describe('report.html: dense fills, one comparison table, the audit log', () => {
  const busy = () =>
    runBacktest({ bars: data, instrument, agent: createRuleAgent('random:p=1,size=0.1'), initialCash: 10_000, seed: 5 });

  it('groups dense fill markers into at most the marker budget, keeping every fill counted at its mean price', async () => {
    const rec = await busy();
    const fills = rec.fills.length;
    expect(fills).toBeGreaterThan(200);
    const chart = buildChartData(rec, 4000, 40);
    const markers = (xs: (number | null)[]) => xs.filter((v) => v !== null).length;
    expect(markers(chart.buys)).toBeLessThanOrEqual(40);
    expect(markers(chart.sells)).toBeLessThanOrEqual(40);
    const counted = [...chart.buyCounts, ...chart.sellCounts].reduce<number>((s, c) => s + (c ?? 0), 0);
    expect(counted).toBe(fills);
    expect(chart.buyCounts.some((c) => c !== null && c > 1)).toBe(true);
    // A marker's price lies within the prices of the fills it stands for.
    const prices = Array.from(rec.fills.price.subarray(0, fills));
    for (const p of [...chart.buys, ...chart.sells]) {
      if (p === null) continue;
      expect(p).toBeGreaterThanOrEqual(Math.min(...prices) - 1e-9);
      expect(p).toBeLessThanOrEqual(Math.max(...prices) + 1e-9);
    }
  });

  it('keeps one marker per fill when fills are sparse', async () => {
    const rec = await run();
    const chart = buildChartData(rec);
    expect([...chart.buyCounts, ...chart.sellCounts].every((c) => c === null || c === 1)).toBe(true);
  });

  it('shows one comparison table: the chain counts and the caller columns join it instead of a second table', async () => {
    const rec = await run();
    const html = renderReportHtml([rec], { title: 't', extraColumns: [{ label: 'cost/episode', values: ['1.5'] }] });
    expect(html.match(/<h2>Comparison<\/h2>/g)).toHaveLength(1);
    const head = /<h2>Comparison<\/h2><table><thead><tr>(.*?)<\/tr>/.exec(html)?.[1] ?? '';
    for (const col of ['blocked by rules', 'rejected', 'kill events', 'cost/episode']) expect(head).toContain(`<th>${col}</th>`);
    expect(() => renderReportHtml([rec], { title: 't', extraColumns: [{ label: 'x', values: [] }] })).toThrow(/report column 'x': 0 values for 1 runs/);
  });

  it("shows the audit log's verification status, seal and key fingerprint, and says NOT verified for a tampered log", async () => {
    const runDir = join(dir, 'audited');
    const audit = openRunAudit(runDir);
    const rec = await runBacktest({ bars: data, instrument, agent: createRuleAgent('random:p=0.2,size=0.2'), initialCash: 10_000, seed: 4, audit: audit.log });
    const status = audit.verify();
    expect(status.verified).toBe(true);
    expect(status.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(status.sealedSeq).toBe(status.events);
    const html = renderReportHtml([rec], { title: 't', audit: [status] });
    expect(html).toContain('verified</strong>');
    expect(html).toContain(status.keyId);
    expect(html).toContain(`sealed to seq ${status.sealedSeq} (close checkpoint)`);
    // Tamper with one event: the same check now fails and the report says so.
    const path = join(runDir, 'audit.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[0] = lines[0].replace(/"seq":1/, '"seq":1,"x":1');
    writeFileSync(path, lines.join('\n'));
    const bad = audit.verify();
    expect(bad.verified).toBe(false);
    expect(renderReportHtml([rec], { title: 't', audit: [bad] })).toContain('NOT verified');
    expect(renderReportHtml([rec], { title: 't' })).toContain('Audit log: not verified for this report.');
  });
});

describe('summaryTable', () => {
  it('has one row per run plus the buy-and-hold benchmark', async () => {
    const rec = await run();
    const lines = summaryTable([rec]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^random:p=0.2/);
    expect(lines[3]).toMatch(/^buy-and-hold \(benchmark\)/);
  });
});
