/**
 * Walk-forward windows and the stitched out-of-sample equity. Rolling windows slide a fixed-length train
 * segment; expanding windows keep the start at bar 0 and grow. Test segments follow their train segment
 * and never overlap each other, so the stitched test segments are one out-of-sample run.
 */
export type WalkForwardMode = 'rolling' | 'expanding';

export interface WalkForwardWindow {
  readonly index: number;
  /** Bars [trainStart, trainEnd) fit the agent; [testStart, testEnd) evaluate it. testStart = trainEnd. */
  readonly trainStart: number;
  readonly trainEnd: number;
  readonly testStart: number;
  readonly testEnd: number;
}

export interface WalkForwardSpec {
  readonly totalBars: number;
  readonly trainBars: number;
  readonly testBars: number;
  readonly mode: WalkForwardMode;
}

export function walkForwardWindows(spec: WalkForwardSpec): WalkForwardWindow[] {
  const { totalBars, trainBars, testBars, mode } = spec;
  const problems: string[] = [];
  if (!Number.isInteger(trainBars) || trainBars < 2) problems.push(`trainBars: must be a whole number >= 2, got ${trainBars}`);
  if (!Number.isInteger(testBars) || testBars < 2) problems.push(`testBars: must be a whole number >= 2, got ${testBars}`);
  if (problems.length === 0 && trainBars + testBars > totalBars) {
    problems.push(`trainBars + testBars: ${trainBars + testBars} exceeds the ${totalBars} bars of data`);
  }
  if (problems.length > 0) throw new RangeError(`walk-forward: ${problems.join('; ')}`);
  const windows: WalkForwardWindow[] = [];
  for (let testStart = trainBars; testStart + testBars <= totalBars; testStart += testBars) {
    windows.push({
      index: windows.length,
      trainStart: mode === 'rolling' ? testStart - trainBars : 0,
      trainEnd: testStart,
      testStart,
      testEnd: testStart + testBars,
    });
  }
  return windows;
}

/**
 * Chains equity segments into one curve that starts at `initialEquity`: each segment contributes its
 * bar returns, so segment k starts where segment k−1 ended (its first point, the reset, is dropped).
 */
export function stitchEquity(segments: readonly Float64Array[], initialEquity: number): Float64Array {
  let total = 1;
  for (const s of segments) total += Math.max(0, s.length - 1);
  const out = new Float64Array(total);
  out[0] = initialEquity;
  let k = 1;
  for (const s of segments) {
    const scale = out[k - 1] / s[0];
    for (let i = 1; i < s.length; i++) out[k++] = s[i] * scale;
  }
  return out;
}
