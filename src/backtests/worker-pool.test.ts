import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runPool } from './worker-pool.js';

// A plain-JS worker (tests run from TypeScript sources, which a worker thread cannot load directly).
const SQUARE_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, task }) => {
  if (task < 0) parentPort.postMessage({ ok: false, id, error: 'negative input ' + task });
  else parentPort.postMessage({ ok: true, id, result: task * task });
});`;

const createWorker = (): Worker => new Worker(SQUARE_WORKER, { eval: true });

describe('runPool', () => {
  it('returns results in task order and reports progress for each task', async () => {
    const progress: number[] = [];
    const out = await runPool<number, number>([1, 2, 3, 4, 5, 6, 7], {
      createWorker,
      concurrency: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(out).toEqual([1, 4, 9, 16, 25, 36, 49]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('fails the run naming the task whose worker reported an error', async () => {
    await expect(runPool<number, number>([1, -2, 3], { createWorker, concurrency: 2 })).rejects.toThrow(
      /task 1: negative input -2/,
    );
  });

  it('rejects a concurrency below one', async () => {
    await expect(runPool([1], { createWorker, concurrency: 0 })).rejects.toThrow(/concurrency: must be a whole number >= 1, got 0/);
  });
});
