/** The bar range a trading env draws its episodes from, resolved against the dataset and the split. */
import type { TradingEnvConfig } from './config.js';
import type { TradingDataset } from './dataset.js';

/** The bar range episodes are drawn from, resolved against the dataset. */
export interface EpisodeRange {
  /** First bar of the split (inclusive) and its end (exclusive). */
  readonly start: number;
  readonly end: number;
  /** Earliest and latest bar a random episode starts at (the latest leaves room for a full episode). */
  readonly firstStart: number;
  readonly lastStart: number;
  /** The last bar an action can be decided at (its fill needs the next bar). */
  readonly lastDecision: number;
}

export function resolveEpisodeRange(config: TradingEnvConfig, dataset: TradingDataset): EpisodeRange {
  const n = dataset.bars.length;
  const { split } = config;
  let start = 0;
  let end = n;
  if (split === 'all') {
    start = 0;
  } else if ('part' in split) {
    const cut = Math.floor(n * split.trainFraction);
    [start, end] = split.part === 'train' ? [0, cut] : [cut, n];
  } else {
    if (split.endIndex > n) throw new RangeError(`split.endIndex: must be <= the number of bars ${n}, got ${split.endIndex}`);
    if (split.startIndex >= split.endIndex) {
      throw new RangeError(`split.startIndex: must be < endIndex ${split.endIndex}, got ${split.startIndex}`);
    }
    [start, end] = [split.startIndex, split.endIndex];
  }
  // The first observation's whole window must lie after the feature warm-up.
  const firstStart = Math.max(start, dataset.features.warmup + config.windowSize - 1);
  const lastDecision = end - 2;
  if (dataset.features.warmup >= n) {
    // The feature matrix clips its warm-up to the data, so the true need is unknown here: say what is known.
    throw new RangeError(
      `split: all ${n} bars are feature warm-up; the features, the window (${config.windowSize} bars) and one step need more bars`,
    );
  }
  if (firstStart > lastDecision) {
    throw new RangeError(
      `split: bars [${start}, ${end}) leave no step after the feature warm-up (${dataset.features.warmup} bars) ` +
        `and the window (${config.windowSize} bars); need at least ${firstStart + 2 - start} bars in the split`,
    );
  }
  const lastStart = Math.max(firstStart, end - 1 - config.episodeLength);
  return { start, end, firstStart, lastStart, lastDecision };
}
