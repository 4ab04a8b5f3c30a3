/**
 * Writing bars as CSV that `loadBarsCsv` reads back exactly: times in integer ms (the `time_ms` header says so,
 * so no magnitude guess is involved) and numbers in JavaScript's shortest round-trip form.
 */
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import type { Bars } from '../core/index.js';

export const BARS_CSV_HEADER = 'time_ms,open,high,low,close,volume';

/** One CSV line (no newline) for one candle. */
export function formatCandleLine(
  timeMs: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
): string {
  return `${timeMs},${open},${high},${low},${close},${volume}`;
}

/** The whole file as a string, header included, newline-terminated. */
export function formatBarsCsv(bars: Bars): string {
  const lines = [BARS_CSV_HEADER];
  for (let i = 0; i < bars.length; i++) lines.push(barLine(bars, i));
  return `${lines.join('\n')}\n`;
}

function barLine(bars: Bars, i: number): string {
  return formatCandleLine(bars.time[i], bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i]);
}

const CHUNK_LINES = 20_000;

/**
 * Writes bars to `path` durably: into a temporary file beside it, fsync, then rename over the target, so a crash
 * leaves either the old file or the complete new one, never half of one.
 */
export async function writeBarsCsv(path: string, bars: Bars): Promise<void> {
  await writeAtomic(path, async (handle) => {
    await handle.write(`${BARS_CSV_HEADER}\n`);
    for (let start = 0; start < bars.length; start += CHUNK_LINES) {
      const end = Math.min(bars.length, start + CHUNK_LINES);
      const chunk: string[] = [];
      for (let i = start; i < end; i++) chunk.push(barLine(bars, i));
      await handle.write(`${chunk.join('\n')}\n`);
    }
  });
}

/** Writes `text` to `path` as `writeBarsCsv` does: temporary file, fsync, rename; never half a file. */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  await writeAtomic(path, async (handle) => {
    await handle.write(text);
  });
}

/** Runs `write` on a temporary file beside `path`, fsyncs it and renames it over `path`; on failure removes it. */
async function writeAtomic(path: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w');
  try {
    await write(handle);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await renameOrRemove(tmp, path);
}

/** A rename that fails (the target is a directory, say) must not leave the temporary file behind. */
async function renameOrRemove(tmp: string, path: string): Promise<void> {
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
