/** Short renderings of times and intervals for reports and messages. */

/** `2019-10-17 09:00:00Z`-style UTC text (ISO without milliseconds when they are zero). */
export function formatTimeMs(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${ms} ms`;
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

const UNITS: readonly [number, string][] = [
  [7 * 86_400_000, 'w'],
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1000, 's'],
];

/** `1h`, `15m`, `1d`, or `1500ms` when no unit divides the interval. */
export function formatDurationMs(ms: number): string {
  if (ms <= 0 || !Number.isFinite(ms)) return `${ms}ms`;
  for (const [size, unit] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
