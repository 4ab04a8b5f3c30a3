/**
 * The download's output file: a bars CSV that grows by whole, fsynced lines, so that an interrupted download
 * leaves a valid file to resume from. A torn last line (a crash mid-write) is cut off before resuming.
 */
import { open, readFile, stat, truncate } from 'node:fs/promises';
import { CsvLoadError } from './csv-errors.js';
import { parseBarsCsv } from './csv-loader.js';
import { BARS_CSV_HEADER } from './csv-writer.js';
import { FetchError } from './exchange-client.js';
import { formatDurationMs } from './time-format.js';

export interface ExistingOutput {
  /** Rows already in the file. */
  rows: number;
  /** Time of the last bar in the file, or null if it holds only the header. */
  lastTimeMs: number | null;
  /** Bytes of a torn last line that were cut off. */
  truncatedBytes: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens the output for resuming: creates it with a header if absent; otherwise checks that it is a bars file of
 * this interval and finds its last bar.
 */
export async function prepareOutput(path: string, intervalMs: number): Promise<ExistingOutput> {
  if (!(await exists(path))) {
    await appendDurably(path, `${BARS_CSV_HEADER}\n`);
    return { rows: 0, lastTimeMs: null, truncatedBytes: 0 };
  }
  let text = await readFile(path, 'utf8');
  let truncatedBytes = 0;
  if (text.length > 0 && !text.endsWith('\n')) {
    const keep = text.lastIndexOf('\n') + 1;
    truncatedBytes = Buffer.byteLength(text.slice(keep));
    await truncate(path, Buffer.byteLength(text.slice(0, keep)));
    text = text.slice(0, keep);
  }
  if (text.length === 0) {
    await appendDurably(path, `${BARS_CSV_HEADER}\n`);
    return { rows: 0, lastTimeMs: null, truncatedBytes };
  }
  const header = text.slice(0, text.indexOf('\n')).trim();
  if (header !== BARS_CSV_HEADER) {
    throw new FetchError(
      'BAD_OUTPUT_FILE',
      `--out: ${path} exists but is not a bars file written by bulwark (header '${header.slice(0, 60)}'); choose another path`,
    );
  }
  if (text.indexOf('\n') === text.length - 1) return { rows: 0, lastTimeMs: null, truncatedBytes };
  let loaded;
  try {
    loaded = parseBarsCsv(text, {}, path);
  } catch (err) {
    if (err instanceof CsvLoadError) {
      throw new FetchError('BAD_OUTPUT_FILE', `--out: cannot resume, the existing file is damaged: ${err.message}`);
    }
    throw err;
  }
  const { bars, report } = loaded;
  if (report.order.fileOrder !== 'ascending') {
    throw new FetchError('BAD_OUTPUT_FILE', `--out: cannot resume, ${path} is not in time order`);
  }
  if (bars.length >= 2 && report.gaps.intervalMs !== intervalMs) {
    throw new FetchError(
      'BAD_OUTPUT_FILE',
      `--out: ${path} holds ${formatDurationMs(report.gaps.intervalMs)} bars, not ${formatDurationMs(intervalMs)}; choose another path or the matching --timeframe`,
    );
  }
  return { rows: bars.length, lastTimeMs: bars.length > 0 ? bars.time[bars.length - 1] : null, truncatedBytes };
}

/** Appends text and fsyncs before returning, so a page counts as saved only once it is on disk. */
export async function appendDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'a');
  try {
    await handle.write(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
