/**
 * Where results land, exactly once. A job may run twice — its worker was SIGKILLed after finishing the work,
 * or lost its lock while slow, and BullMQ's stalled-job check handed it to another worker — so both records are
 * idempotent, keyed by job id: the summary in Redis with HSETNX (the first completion wins, a later one only
 * counts as a duplicate), and the file `RUN_DIR/jobs/JOB_ID.json` written to a temporary name and then
 * hard-linked into place, which fails if the name exists (a rename would silently replace the first).
 */
import { linkSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { type JobResult, jobResultSchema } from './payloads.js';

export interface ResultKeys {
  /** Hash job id → result JSON. */
  readonly results: string;
  /** Hash job id → error message (jobs that failed for good). */
  readonly failures: string;
  /** Counter of completions that found their result already recorded. */
  readonly duplicates: string;
}

export function resultKeys(prefix: string, runId: string): ResultKeys {
  const base = `${prefix}:run:${runId}`;
  return { results: `${base}:results`, failures: `${base}:failures`, duplicates: `${base}:duplicates` };
}

/** The result file of a job in a run directory. */
export function resultFile(runDir: string, jobId: string): string {
  return join(runDir, 'jobs', `${jobId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/** Writes `path` only if it does not exist yet; false when another writer got there first. Never a torn file. */
export function writeFileOnce(path: string, text: string): boolean {
  mkdirSync(join(path, '..'), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, text);
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

/** Records a result once; returns true for the first record, false (and counts a duplicate) otherwise. */
export async function recordResult(redis: Redis, keys: ResultKeys, result: JobResult, runDir: string | null): Promise<boolean> {
  const json = JSON.stringify(result);
  if (runDir !== null) writeFileOnce(resultFile(runDir, result.jobId), `${JSON.stringify(result, null, 2)}\n`);
  const first = (await redis.hsetnx(keys.results, result.jobId, json)) === 1;
  if (!first) await redis.incr(keys.duplicates);
  return first;
}

export async function recordFailure(redis: Redis, keys: ResultKeys, jobId: string, message: string): Promise<void> {
  await redis.hsetnx(keys.failures, jobId, message);
}

/** Every recorded result of a run, validated. */
export async function readResults(redis: Redis, keys: ResultKeys): Promise<Map<string, JobResult>> {
  const raw = await redis.hgetall(keys.results);
  return new Map(Object.entries(raw).map(([id, json]) => [id, jobResultSchema.parse(JSON.parse(json))]));
}
