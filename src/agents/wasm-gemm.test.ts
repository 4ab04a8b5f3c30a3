import { describe, expect, it } from 'vitest';
import { Rng } from '../core/index.js';
import { createGemmKernel, wasmSimdSupported } from './wasm-gemm.js';

/** float64 reference of C = acc·C0 + A·B with A[i,k] at aRs·i + aIs·k (floats). */
function reference(M: number, N: number, K: number, a: Float32Array, aRs: number, aIs: number, b: Float32Array, c0: Float32Array, acc: boolean): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = acc ? c0[i * N + j] : 0;
      for (let k = 0; k < K; k++) s += a[i * aRs + k * aIs] * b[k * N + j];
      out[i * N + j] = s;
    }
  }
  return out;
}

describe('wasm gemm kernel', () => {
  it('runtime_validates_the_simd_module', () => {
    expect(wasmSimdSupported()).toBe(true);
  });

  // Shapes hit every tile: 2-row pairs and the odd last row, 16-, 4- and 1-wide column blocks.
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [2, 16, 3],
    [3, 21, 5],
    [7, 6, 64],
    [33, 64, 116],
    [5, 1, 512],
  ];

  it.each(shapes)('%i_x_%i_x_%i_when_multiplied_plain_transposed_and_accumulated_then_matches_float64_reference', (M, N, K) => {
    const rng = new Rng(M * 1000 + N * 10 + K);
    const kernel = createGemmKernel(4 * (M * K + K * N + M * N) + 64);
    const mem = new Float32Array(kernel.memory.buffer);
    const aAt = 0;
    const bAt = M * K;
    const cAt = bAt + K * N;
    for (let x = 0; x < cAt; x++) mem[x] = rng.normal();
    const a = mem.slice(aAt, aAt + M * K);
    const b = mem.slice(bAt, bAt + K * N);
    const check = (aRs: number, aIs: number, acc: boolean): void => {
      const c0 = Float32Array.from({ length: M * N }, () => rng.normal());
      mem.set(c0, cAt);
      kernel.gemm(M, N, K, 4 * aAt, 4 * aRs, 4 * aIs, 4 * bAt, 4 * N, 4 * cAt, 4 * N, acc ? 1 : 0);
      const ref = reference(M, N, K, a, aRs, aIs, b, c0, acc);
      let worst = 0;
      for (let x = 0; x < M * N; x++) worst = Math.max(worst, Math.abs(mem[cAt + x] - ref[x]));
      expect(worst).toBeLessThanOrEqual(1e-4 * Math.sqrt(K));
    };
    check(K, 1, false); // A row-major [M × K]
    check(K, 1, true);
    check(1, M, false); // A read as the transpose of a row-major [K × M]
  });

  it('row_strides_when_wider_than_the_block_then_only_the_block_is_written', () => {
    // C is columns 2..5 of a [3 × 8] matrix: the other columns keep their values.
    const kernel = createGemmKernel(1024);
    const mem = new Float32Array(kernel.memory.buffer);
    mem.set([1, 2, 3, 4, 5, 6], 0); // A [3 × 2]
    mem.set([1, 0, 0, 1, 1, 1, 1, 1], 8); // B [2 × 4]
    mem.fill(-7, 32, 32 + 24);
    kernel.gemm(3, 4, 2, 0, 8, 4, 32, 16, 4 * (32 + 2), 32, 0);
    const c = Array.from(mem.subarray(32, 56));
    expect(c).toEqual([-7, -7, 3, 2, 2, 3, -7, -7, -7, -7, 7, 4, 4, 7, -7, -7, -7, -7, 11, 6, 6, 11, -7, -7]);
  });

  it('tanh_and_its_gradient_when_applied_then_match_math_tanh_to_1e-6_including_the_saturated_tails', () => {
    const kernel = createGemmKernel(65_536);
    const mem = new Float32Array(kernel.memory.buffer);
    const n = 4001; // not a multiple of 4: the padded tail is processed, the count is honoured
    const xs = Float32Array.from({ length: n }, (_, i) => -20 + (40 * i) / (n - 1));
    mem.set(xs, 0);
    kernel.tanh(0, n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(mem[i] - Math.tanh(xs[i])));
    expect(worst).toBeLessThanOrEqual(1e-6);
    // d ← d ⊙ (1 − a²) with a = tanh(x) already in place at 0.
    const dAt = 4 * 4004;
    mem.fill(2, 4004, 4004 + n);
    kernel.tanhGrad(dAt, 0, n);
    worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(mem[4004 + i] - 2 * (1 - Math.tanh(xs[i]) ** 2)));
    expect(worst).toBeLessThanOrEqual(4e-6);
  });
});
