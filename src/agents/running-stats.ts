/**
 * Running mean and variance of observation features (parallel-variance merge of Chan et al., as in
 * Gymnasium's NormalizeObservation), saved with every checkpoint so a resumed or deployed policy sees
 * observations scaled exactly as in training.
 */
export interface RunningStatsState {
  readonly mean: number[];
  readonly var: number[];
  readonly count: number;
}

export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  /** Starts at a tiny pseudo-count so the first batch dominates without dividing by zero. */
  count = 1e-4;

  constructor(readonly dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim: must be a whole number >= 1, got ${dim}`);
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
  }

  /** Merges `rows` rows of `data` ([rows × dim], row-major) into the statistics. */
  update(data: Float32Array, rows: number): void {
    const d = this.dim;
    if (data.length < rows * d) throw new RangeError(`data: need ${rows * d} values, got ${data.length}`);
    if (rows === 0) return;
    const total = this.count + rows;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += data[i * d + j];
      const batchMean = s / rows;
      let sq = 0;
      for (let i = 0; i < rows; i++) {
        const e = data[i * d + j] - batchMean;
        sq += e * e;
      }
      const batchVar = sq / rows;
      const delta = batchMean - this.mean[j];
      const m2 = this.var[j] * this.count + batchVar * rows + ((delta * delta * this.count) / total) * rows;
      this.mean[j] += (delta * rows) / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
  }

  /** Writes the normalised, clipped rows of `src` into `dst` (both [rows × dim]). */
  normalize(src: Float32Array, dst: Float32Array, rows: number, clip = 10): void {
    const d = this.dim;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) {
        const z = (src[i * d + j] - this.mean[j]) / Math.sqrt(this.var[j] + 1e-8);
        dst[i * d + j] = z > clip ? clip : z < -clip ? -clip : z;
      }
    }
  }

  getState(): RunningStatsState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  setState(state: RunningStatsState): void {
    if (state.mean.length !== this.dim || state.var.length !== this.dim) {
      throw new RangeError(`normaliser: saved stats have ${state.mean.length} features, the env has ${this.dim}`);
    }
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }
}
