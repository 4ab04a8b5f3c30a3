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

export function learningCurveHtml(title: string, history: readonly EpochStats[]): string {
  const { js, css } = uplotAssets();
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const data = {
    steps: history.map((e) => e.envSteps),
    ret: history.map((e) => num(e.episodeReturn)),
    cost: history.map((e) => num(e.episodeCost)),
    limit: history.map((e) => e.costLimit),
    lambda: history.map((e) => e.lambda),
  };
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
new uPlot(opts('mean episode return', [{ label: 'return', stroke: '#1f77b4' }]), [d.steps, d.ret], document.getElementById('ret'));
new uPlot(opts('mean episode cost vs limit', [{ label: 'cost', stroke: '#d62728' }, { label: 'limit', stroke: '#555', dash: [6, 4] }]),
  [d.steps, d.cost, d.limit], document.getElementById('cost'));
new uPlot(opts('Lagrange multiplier', [{ label: 'lambda', stroke: '#2ca02c' }]), [d.steps, d.lambda], document.getElementById('lambda'));
</script></body></html>
`;
}
