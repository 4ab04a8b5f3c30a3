/**
 * A self-contained HTML learning curve (return; cost with the limit line; λ) with uPlot inlined from the
 * installed package, so the file opens offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { EpochStats } from './lagrangian-ppo.js';

function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/** An epoch's stats, with its held-out evaluation when one ran (train-run.ts's metric rows). */
export type CurvePoint = EpochStats & { evalReturn?: number; evalCost?: number };

export function learningCurveHtml(title: string, history: readonly CurvePoint[]): string {
  const { js, css } = uplotAssets();
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const data = {
    steps: history.map((e) => e.envSteps),
    ret: history.map((e) => num(e.episodeReturn)),
    cost: history.map((e) => num(e.episodeCost)),
    limit: history.map((e) => e.costLimit),
    lambda: history.map((e) => e.lambda),
    // Held-out evaluations (eval.every): null on epochs without one; uPlot bridges the gaps.
    evalRet: history.map((e) => (e.evalReturn === undefined ? null : num(e.evalReturn))),
    evalCost: history.map((e) => (e.evalCost === undefined ? null : num(e.evalCost))),
  };
  const hasEval = history.some((e) => e.evalReturn !== undefined);
  // JSON inside <script>: escape '<' so no value can close the tag.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const safeTitle = title.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${safeTitle}</title><style>${css}
body{font-family:sans-serif;margin:16px} h1{font-size:18px}</style></head>
<body><h1>${safeTitle}</h1><div id="ret"></div><div id="cost"></div><div id="lambda"></div>
<script>${js}</script>
<script>
const d = ${json};
const opts = (title, series) => ({ title, width: 900, height: 260, scales: { x: { time: false } },
  series: [{ label: 'env steps' }, ...series] });
const hasEval = ${hasEval};
const evalSeries = (label, stroke) => ({ label, stroke, dash: [2, 3], spanGaps: true, points: { show: true } });
new uPlot(opts('mean episode return', [{ label: 'return', stroke: '#1f77b4' }, ...(hasEval ? [evalSeries('held-out return', '#ff7f0e')] : [])]),
  hasEval ? [d.steps, d.ret, d.evalRet] : [d.steps, d.ret], document.getElementById('ret'));
new uPlot(opts('mean episode cost vs limit', [{ label: 'cost', stroke: '#d62728' }, { label: 'limit', stroke: '#555', dash: [6, 4] },
  ...(hasEval ? [evalSeries('held-out cost', '#9467bd')] : [])]),
  hasEval ? [d.steps, d.cost, d.limit, d.evalCost] : [d.steps, d.cost, d.limit], document.getElementById('cost'));
new uPlot(opts('Lagrange multiplier', [{ label: 'lambda', stroke: '#2ca02c' }]), [d.steps, d.lambda], document.getElementById('lambda'));
</script></body></html>
`;
}
