/**
 * One float32 matrix product in WebAssembly SIMD, for the fused MLP update (fused-mlp.ts). Small matrices
 * (512 × 116 × 64) are where TensorFlow.js loses most of its time to per-operation overhead; this kernel has
 * none: JavaScript calls it with pointers into one WebAssembly.Memory it also reads and writes directly.
 *
 *   C[i, j] = (accumulate ? C[i, j] : 0) + Σ_k A[i, k] · B[k, j]
 *
 * A is addressed by two strides (row, inner), so the same kernel computes A·B and Aᵀ·B (dW = Xᵀ·dZ) without a
 * transposed copy; B and C are row-major with their own row strides, so a block of a wider matrix is a view.
 * Register blocking: two rows of C by 16 columns (eight f32x4 accumulators) per inner step, then 4-wide and
 * scalar tails. The sum over k runs in one fixed order, so results are bit-for-bit repeatable. No relaxed
 * SIMD and no fused multiply-add: both may round differently from machine to machine.
 *
 * The module is encoded here byte by byte (about 1 kB), so nothing is compiled or downloaded at install.
 */

/** gemm(M, N, K, a, aRowStride, aInnerStride, b, bRowStride, c, cRowStride, accumulate): pointers and strides in bytes. */
export type GemmFn = (
  rows: number,
  cols: number,
  inner: number,
  a: number,
  aRowStride: number,
  aInnerStride: number,
  b: number,
  bRowStride: number,
  c: number,
  cRowStride: number,
  accumulate: number,
) => void;

export interface GemmKernel {
  readonly memory: WebAssembly.Memory;
  readonly gemm: GemmFn;
  /** x ← tanh(x) for `count` floats from byte offset `at`, four at a time (the region is padded to 16 bytes). */
  readonly tanh: (at: number, count: number) => void;
  /** d ← d ⊙ (1 − a²) (tanh′ through its output a) for `count` floats, four at a time. */
  readonly tanhGrad: (dAt: number, aAt: number, count: number) => void;
}

/** Instantiates the kernel over a fresh memory of `bytes` (rounded up to 64 KiB pages). */
export function createGemmKernel(bytes: number): GemmKernel {
  const pages = Math.max(1, Math.ceil(bytes / 65_536));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(gemmModule(), { env: { memory } });
  const { gemm, tanh, tanhGrad } = instance.exports;
  if (typeof gemm !== 'function' || typeof tanh !== 'function' || typeof tanhGrad !== 'function') {
    throw new Error('wasm-gemm: the module lacks one of gemm, tanh, tanhGrad');
  }
  return {
    memory,
    gemm: (...args: Parameters<GemmFn>) => void gemm(...args),
    tanh: (at: number, count: number) => void tanh(at, count),
    tanhGrad: (dAt: number, aAt: number, count: number) => void tanhGrad(dAt, aAt, count),
  };
}

/** Whether this runtime validates WebAssembly SIMD (Node >= 16.4 does). */
export function wasmSimdSupported(): boolean {
  try {
    return WebAssembly.validate(encodeGemmModule());
  } catch {
    return false;
  }
}

let compiled: WebAssembly.Module | null = null;

function gemmModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(encodeGemmModule());
  return compiled;
}

// ---- encoding ----------------------------------------------------------------------------------------------

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32GtS: 0x4a,
  i32LtS: 0x48,
  i32LeS: 0x4c,
  i32And: 0x71,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  f32Add: 0x92,
  f32Mul: 0x94,
  f32Const: 0x43,
  simd: 0xfd,
} as const;

// SIMD opcodes follow the 0xfd prefix as unsigned LEB128.
const SIMD = {
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  f32x4Splat: 0x13,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function str(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

/** Parameters of gemm, in order (local indices 0..10). */
const P = { M: 0, N: 1, K: 2, a: 3, aRs: 4, aIs: 5, b: 6, ldb: 7, c: 8, ldc: 9, acc: 10 } as const;

/** Emits the function body of gemm with a tiny structured builder. */
class Body {
  readonly code: number[] = [];
  private readonly localTypes: number[] = [];

  constructor(private readonly paramCount: number) {}

  local(type: number): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(i: number): this {
    return this.op(OP.localGet, ...uleb(i));
  }

  set(i: number): this {
    return this.op(OP.localSet, ...uleb(i));
  }

  i32(n: number): this {
    return this.op(OP.i32Const, ...sleb(n));
  }

  simd(op: number, ...imm: number[]): this {
    return this.op(OP.simd, ...uleb(op), ...imm);
  }

  /** local[dst] = local[x] + local[y] (i32). */
  add(dst: number, x: number, y: number): this {
    return this.get(x).get(y).op(OP.i32Add).set(dst);
  }

  /** local[dst] = local[x] + n (i32). */
  addConst(dst: number, x: number, n: number): this {
    return this.get(x).i32(n).op(OP.i32Add).set(dst);
  }

  /** A loop that runs while `cond` (which pushes an i32) is true; `body` runs at least zero times. */
  whileLoop(cond: () => void, body: () => void): this {
    this.op(OP.block, 0x40, OP.loop, 0x40);
    cond();
    this.op(OP.i32Eqz, OP.brIf, 1);
    body();
    return this.op(OP.br, 0, OP.end, OP.end);
  }

  encode(): number[] {
    // Locals are declared one group per entry (count 1 each): simple, and the count is small.
    const decl = [...uleb(this.localTypes.length), ...this.localTypes.flatMap((t) => [1, t])];
    const body = [...decl, ...this.code, OP.end];
    return [...uleb(body.length), ...body];
  }
}

/** memarg for a load or store: alignment exponent and zero offset, with a constant byte offset added. */
function memarg(alignLog2: number, offset: number): number[] {
  return [alignLog2, ...uleb(offset)];
}

function encodeGemmBody(): number[] {
  const f = new Body(11);
  const i = f.local(I32);
  const j = f.local(I32);
  const k = f.local(I32);
  const pa = f.local(I32);
  const pb = f.local(I32);
  const aRow = [f.local(I32), f.local(I32)];
  const cRow = [f.local(I32), f.local(I32)];
  const pc = f.local(I32);
  const vAcc = Array.from({ length: 8 }, () => f.local(V128));
  const vA = [f.local(V128), f.local(V128)];
  const vB = f.local(V128);
  const sAcc = [f.local(F32), f.local(F32)];
  const sA = [f.local(F32), f.local(F32)];
  const sB = f.local(F32);

  /** A block of `rows` rows (1 or 2) × `vectors` f32x4 columns (vectors = 0: one scalar column) at column j. */
  const emitTile = (rows: number, vectors: number): void => {
    const width = vectors === 0 ? 1 : 4 * vectors;
    f.whileLoop(
      () => f.get(j).i32(width).op(OP.i32Add).get(P.N).op(OP.i32LeS),
      () => {
        // Initial accumulators: C's current values, or zero.
        for (let r = 0; r < rows; r++) {
          // pc = cRow[r] + 4 j
          f.get(cRow[r]).get(j).i32(4).op(OP.i32Mul).op(OP.i32Add).set(pc);
          if (vectors === 0) {
            f.get(P.acc).op(OP.if, F32).get(pc).op(OP.f32Load, ...memarg(2, 0)).op(OP.else).op(OP.f32Const, 0, 0, 0, 0).op(OP.end).set(sAcc[r]);
          } else {
            for (let v = 0; v < vectors; v++) {
              f.get(P.acc).op(OP.if, V128).get(pc).simd(SIMD.v128Load, ...memarg(2, 16 * v)).op(OP.else);
              f.simd(SIMD.v128Const, ...new Array<number>(16).fill(0)).op(OP.end).set(vAcc[r * 4 + v]);
            }
          }
        }
        // pa = a-row start (row offset added per row below), pb = b + 4 j, k = K
        f.i32(0).set(pa);
        f.get(P.b).get(j).i32(4).op(OP.i32Mul).op(OP.i32Add).set(pb);
        f.get(P.K).set(k);
        f.whileLoop(
          () => f.get(k).i32(0).op(OP.i32GtS),
          () => {
            for (let r = 0; r < rows; r++) {
              f.get(aRow[r]).get(pa).op(OP.i32Add).op(OP.f32Load, ...memarg(2, 0));
              if (vectors === 0) f.set(sA[r]);
              else f.simd(SIMD.f32x4Splat).set(vA[r]);
            }
            if (vectors === 0) {
              f.get(pb).op(OP.f32Load, ...memarg(2, 0)).set(sB);
              for (let r = 0; r < rows; r++) f.get(sAcc[r]).get(sA[r]).get(sB).op(OP.f32Mul).op(OP.f32Add).set(sAcc[r]);
            } else {
              for (let v = 0; v < vectors; v++) {
                f.get(pb).simd(SIMD.v128Load, ...memarg(2, 16 * v)).set(vB);
                for (let r = 0; r < rows; r++) {
                  const acc = vAcc[r * 4 + v];
                  f.get(acc).get(vA[r]).get(vB).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(acc);
                }
              }
            }
            f.add(pa, pa, P.aIs).add(pb, pb, P.ldb).addConst(k, k, -1);
          },
        );
        for (let r = 0; r < rows; r++) {
          f.get(cRow[r]).get(j).i32(4).op(OP.i32Mul).op(OP.i32Add).set(pc);
          if (vectors === 0) f.get(pc).get(sAcc[r]).op(OP.f32Store, ...memarg(2, 0));
          else for (let v = 0; v < vectors; v++) f.get(pc).get(vAcc[r * 4 + v]).simd(SIMD.v128Store, ...memarg(2, 16 * v));
        }
        f.addConst(j, j, width);
      },
    );
  };

  /** All columns of `rows` rows starting at row i: 16-wide tiles, then 4-wide, then single columns. */
  const emitRows = (rows: number): void => {
    for (let r = 0; r < rows; r++) {
      // aRow[r] = a + (i + r) · aRs ; cRow[r] = c + (i + r) · ldc
      f.get(P.a).get(i).i32(r).op(OP.i32Add).get(P.aRs).op(OP.i32Mul).op(OP.i32Add).set(aRow[r]);
      f.get(P.c).get(i).i32(r).op(OP.i32Add).get(P.ldc).op(OP.i32Mul).op(OP.i32Add).set(cRow[r]);
    }
    f.i32(0).set(j);
    emitTile(rows, 4);
    emitTile(rows, 1);
    emitTile(rows, 0);
    f.addConst(i, i, rows);
  };

  f.i32(0).set(i);
  f.whileLoop(() => f.get(i).i32(2).op(OP.i32Add).get(P.M).op(OP.i32LeS), () => emitRows(2));
  f.whileLoop(() => f.get(i).i32(1).op(OP.i32Add).get(P.M).op(OP.i32LeS), () => emitRows(1));
  return f.encode();
}

// Eigen's rational approximation of tanh on [−c, c] (c where float32 tanh rounds to ±1): odd numerator of
// degree 13 over even denominator of degree 6, |error| < 3e-7; the check against tfjs holds it to 1e-5.
const TANH_CLAMP = 7.90531110763549805;
const TANH_NUM = [-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-8, 1.48572235717979e-5, 6.37261928875436e-4, 4.89352455891786e-3];
const TANH_DEN = [1.19825839466702e-6, 1.18534705686654e-4, 2.268434632439e-3, 4.89352518554385e-3];

function f32Splat(f: Body, x: number): void {
  const b = new Uint8Array(new Float32Array([x]).buffer);
  f.op(OP.f32Const, ...b).simd(SIMD.f32x4Splat);
}

/** tanh(at, count): in place, four floats per step. */
function encodeTanhBody(): number[] {
  const f = new Body(2);
  const end = f.local(I32);
  const x = f.local(V128);
  const x2 = f.local(V128);
  const horner = (coefs: number[]): void => {
    f32Splat(f, coefs[0]);
    for (const c of coefs.slice(1)) {
      f.get(x2).simd(SIMD.f32x4Mul);
      f32Splat(f, c);
      f.simd(SIMD.f32x4Add);
    }
  };
  // end = at + 4·⌈count/4⌉·4 bytes
  f.get(0).get(1).i32(3).op(OP.i32Add).i32(-4).op(OP.i32And).i32(4).op(OP.i32Mul).op(OP.i32Add).set(end);
  f.whileLoop(
    () => f.get(0).get(end).op(OP.i32LtS),
    () => {
      f.get(0).simd(SIMD.v128Load, ...memarg(2, 0));
      f32Splat(f, -TANH_CLAMP);
      f.simd(SIMD.f32x4Max);
      f32Splat(f, TANH_CLAMP);
      f.simd(SIMD.f32x4Min).set(x);
      f.get(x).get(x).simd(SIMD.f32x4Mul).set(x2);
      f.get(0);
      horner(TANH_NUM);
      f.get(x).simd(SIMD.f32x4Mul);
      horner(TANH_DEN);
      f.simd(SIMD.f32x4Div).simd(SIMD.v128Store, ...memarg(2, 0));
      f.addConst(0, 0, 16);
    },
  );
  return f.encode();
}

/** tanhGrad(d, a, count): d ← d ⊙ (1 − a²), four floats per step. */
function encodeTanhGradBody(): number[] {
  const f = new Body(3);
  const end = f.local(I32);
  const a = f.local(V128);
  f.get(0).get(2).i32(3).op(OP.i32Add).i32(-4).op(OP.i32And).i32(4).op(OP.i32Mul).op(OP.i32Add).set(end);
  f.whileLoop(
    () => f.get(0).get(end).op(OP.i32LtS),
    () => {
      f.get(1).simd(SIMD.v128Load, ...memarg(2, 0)).set(a);
      f.get(0).get(0).simd(SIMD.v128Load, ...memarg(2, 0));
      f32Splat(f, 1);
      f.get(a).get(a).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Sub).simd(SIMD.f32x4Mul).simd(SIMD.v128Store, ...memarg(2, 0));
      f.addConst(0, 0, 16).addConst(1, 1, 16);
    },
  );
  return f.encode();
}

export function encodeGemmModule(): Uint8Array {
  const fnType = (params: number): number[] => [0x60, ...uleb(params), ...new Array<number>(params).fill(I32), 0];
  const exports = [
    [...str('gemm'), 0x00, 0],
    [...str('tanh'), 0x00, 1],
    [...str('tanhGrad'), 0x00, 2],
  ];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [3, ...fnType(11), ...fnType(2), ...fnType(3)]),
    // import env.memory (limits: min 1 page, no max; the host's memory may be larger)
    ...section(2, [1, ...str('env'), ...str('memory'), 0x02, 0x00, 1]),
    ...section(3, [3, 0, 1, 2]),
    ...section(7, [3, ...exports.flat()]),
    ...section(10, [3, ...encodeGemmBody(), ...encodeTanhBody(), ...encodeTanhGradBody()]),
  ];
  return Uint8Array.from(bytes);
}
