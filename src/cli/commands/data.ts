/**
 * `bulwark data fetch|synth|inspect`: download OHLCV through ccxt (resumable, with a progress bar), generate a
 * seeded synthetic market, or load a CSV and print what the loader found and did.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import {
  epochUnitOf,
  fetchOhlcv,
  formatCsvLoadReport,
  formatReturnStats,
  formatDurationMs,
  formatTimeMs,
  generateSyntheticMarket,
  loadBarsCsv,
  parseDateText,
  parseSynthSpec,
  returnStats,
  synthParamNames,
  SYNTHETIC_MODELS,
  writeBarsCsv,
  writeTextFileAtomic,
} from '../../data/index.js';
import { addCsvOptions, type CsvFlags, csvOptionsFromFlags } from '../csv-flags.js';

/** `2024-01-01`, an ISO time, or an epoch number (s or ms by magnitude) → ms; errors name the flag. */
export function parseTimeArg(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t) && t.length !== 8) {
    const n = Number(t);
    return epochUnitOf(n) === 's' ? n * 1000 : n;
  }
  const ms = parseDateText(t);
  if (ms === null) {
    throw new Error(`${flag}: cannot read '${text}' as a date (use YYYY-MM-DD, an ISO time like 2024-01-01T12:00Z, or ms since the epoch)`);
  }
  return ms;
}

function errorCode(err: unknown): string {
  return err instanceof Error && 'code' in err ? String(err.code) : err instanceof Error ? err.message : String(err);
}

/**
 * Refuses an output path that cannot be written (its folder is a file, or the path is a folder) before any work is
 * done. A missing folder is created, as every other command that writes does.
 */
async function checkOutputPath(path: string, flag: string): Promise<void> {
  const dir = dirname(path);
  const parent = await stat(dir).catch(() => null);
  if (parent === null) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new Error(`${flag}: cannot write '${path}': cannot create folder '${dir}' (${errorCode(err)})`);
    }
  } else if (!parent.isDirectory()) {
    throw new Error(`${flag}: cannot write '${path}': '${dir}' is a file, not a folder`);
  }
  const target = await stat(path).catch(() => null);
  if (target?.isDirectory()) throw new Error(`${flag}: cannot write '${path}': it is a folder`);
}

/** Runs a write, turning a file-system error into a message naming the flag and the path. */
async function writeOrExplain(path: string, flag: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    throw new Error(`${flag}: cannot write '${path}' (${errorCode(err)})`);
  }
}


function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Every model parameter of every model, as `--kebab-case` flags of `data synth`. */
const SYNTH_PARAMS = [...new Set(SYNTHETIC_MODELS.flatMap((m) => synthParamNames(m)))].filter(
  (p) => p !== 'bars' && p !== 'seed',
);

export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('market data: download, synthetic markets, CSV inspection');

  data
    .command('fetch')
    .description('download OHLCV candles through ccxt into a CSV; run again to resume where it stopped')
    .requiredOption('--exchange <id>', 'ccxt exchange id, e.g. binance')
    .requiredOption('--symbol <symbol>', 'market, e.g. BTC/USDT')
    .requiredOption('--timeframe <tf>', 'candle size, e.g. 1m, 1h, 1d')
    .requiredOption('--since <date>', 'first candle: YYYY-MM-DD, ISO time, or epoch ms')
    .option('--until <date>', 'last candle (inclusive); default: the last closed candle')
    .requiredOption('--out <file>', 'CSV to write or resume')
    .option('--no-progress', 'no progress bar')
    .action(
      async (opts: {
        exchange: string;
        symbol: string;
        timeframe: string;
        since: string;
        until?: string;
        out: string;
        progress: boolean;
      }) => {
        const sinceMs = parseTimeArg(opts.since, '--since');
        const untilMs = opts.until === undefined ? undefined : parseTimeArg(opts.until, '--until');
        await checkOutputPath(opts.out, '--out');
        const bar = opts.progress
          ? new SingleBar(
              { format: 'fetch {bar} {percentage}% | {value}/{total} bars | up to {last}', stream: process.stderr },
              Presets.shades_classic,
            )
          : null;
        let started = false;
        try {
          const result = await fetchOhlcv({
            exchange: opts.exchange,
            symbol: opts.symbol,
            timeframe: opts.timeframe,
            sinceMs,
            untilMs,
            outPath: opts.out,
            onProgress: (p) => {
              if (bar === null || p.lastTimeMs === null) return;
              const total = Math.max(p.fetchedBars, p.expectedBars);
              if (!started) {
                bar.start(total, 0, { last: '' });
                started = true;
              }
              bar.setTotal(total);
              bar.update(p.fetchedBars, { last: formatTimeMs(p.lastTimeMs) });
            },
          });
          bar?.stop();
          const resumed = result.resumedAfterMs === null ? '' : ` (resumed after ${formatTimeMs(result.resumedAfterMs)}, ${result.existingRows} bars already there)`;
          const range =
            result.firstTimeMs === null || result.lastTimeMs === null
              ? 'nothing new'
              : `${formatTimeMs(result.firstTimeMs)} → ${formatTimeMs(result.lastTimeMs)}`;
          process.stdout.write(
            `${result.exchange} ${result.symbol} ${result.timeframe}: ${result.fetchedBars} bars in ${result.pages} request(s), ${range}${resumed}\n` +
              `wrote ${result.outPath}\n`,
          );
        } finally {
          if (started) bar?.stop();
        }
      },
    );

  const synth = data
    .command('synth')
    .description(`write a seeded synthetic market (${SYNTHETIC_MODELS.join(', ')}) as CSV`)
    .requiredOption('--model <model>', `one of ${SYNTHETIC_MODELS.join(', ')}`)
    .option('--bars <n>', 'number of bars', '100000')
    .option('--seed <n>', 'random seed (same seed, same market)', '1')
    .option('--param <key=value...>', 'model parameter, repeatable (e.g. --param drift=0.1)')
    .requiredOption('--out <file>', 'CSV to write')
    .option('--labels-out <file>', "also write each bar's regime / jump label as CSV");
  for (const p of SYNTH_PARAMS) synth.option(`--${kebab(p)} <x>`, `model parameter ${p}`);
  synth.action(async (opts: Record<string, unknown>) => {
    const pairs: string[] = [`bars=${String(opts.bars)}`, `seed=${String(opts.seed)}`];
    for (const p of SYNTH_PARAMS) if (typeof opts[p] === 'string') pairs.push(`${p}=${opts[p]}`);
    const extra = opts.param;
    if (Array.isArray(extra)) for (const kv of extra) pairs.push(String(kv));
    const spec = parseSynthSpec(`${String(opts.model)}:${pairs.join(',')}`);
    const out = String(opts.out);
    const labelsOut = typeof opts.labelsOut === 'string' ? opts.labelsOut : null;
    // Both paths are checked before anything is generated or written, so a bad --labels-out leaves no --out behind.
    await checkOutputPath(out, '--out');
    if (labelsOut !== null) await checkOutputPath(labelsOut, '--labels-out');
    const market = generateSyntheticMarket(spec);
    await writeOrExplain(out, '--out', () => writeBarsCsv(out, market.bars));
    const counts = market.labelNames.map((name, k) => `${name} ${market.labels.filter((l) => l === k).length}`);
    if (labelsOut !== null) {
      const lines = ['time_ms,label'];
      for (let i = 0; i < market.bars.length; i++) lines.push(`${market.bars.time[i]},${market.labelNames[market.labels[i]]}`);
      await writeOrExplain(labelsOut, '--labels-out', () => writeTextFileAtomic(labelsOut, `${lines.join('\n')}\n`));
    }
    const b = market.bars;
    process.stdout.write(
      `${spec.model}: ${b.length} bars of ${formatDurationMs(spec.intervalMs)}, seed ${spec.seed}, ` +
        `${formatTimeMs(b.time[0])} → ${formatTimeMs(b.time[b.length - 1])}, close ${b.close[0].toPrecision(6)} → ${b.close[b.length - 1].toPrecision(6)}\n` +
        `labels: ${counts.join(', ')}\nwrote ${out}\n`,
    );
  });

  const inspect = data
    .command('inspect')
    .description(
      'load an OHLCV CSV and print rows, range, interval, gaps, everything the loader did, and return/volatility statistics',
    )
    .argument('<file>', 'CSV file')
    .option('--periods-per-year <n>', "bars per year for the annualised volatility (default: read from the data's calendar)")
    .option('--json', 'print the report as one JSON object (the statistics under returnStats)', false);
  addCsvOptions(inspect).action(async (file: string, opts: CsvFlags & { json: boolean; periodsPerYear?: string }) => {
    const periodsPerYear = opts.periodsPerYear === undefined ? undefined : Number(opts.periodsPerYear);
    if (periodsPerYear !== undefined && !(Number.isFinite(periodsPerYear) && periodsPerYear > 0)) {
      throw new RangeError(`--periods-per-year: must be a number > 0, got '${opts.periodsPerYear}'`);
    }
    const { bars, report } = await loadBarsCsv(file, csvOptionsFromFlags(opts));
    const stats = returnStats(bars, periodsPerYear);
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ ...report, returnStats: stats })}\n`
        : `${formatCsvLoadReport(report)}\n${formatReturnStats(stats)}\n`,
    );
  });
}
