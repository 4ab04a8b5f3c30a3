import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../test-support/redis-server.js';
import { readResults, recordResult, resultFile, resultKeys, writeFileOnce } from './result-store.js';
import { QueueRedisError, checkRedisUrl, connectQueueRedis } from './redis-connection.js';
import { parseQueueList } from './payloads.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('result store', () => {
  it('duplicate_completion_then_recorded_once_and_counted_as_duplicate', async () => {
    const redis = new Redis(testRedisUrl());
    const keys = resultKeys(`test-${process.pid}-${Date.now()}`, 'run-a');
    const first = { jobId: 'run-a-000001', kind: 'sweep' as const, worker: 'w1', finishedAt: '2026-01-01T00:00:00Z', output: { x: 1 } };
    const again = { ...first, worker: 'w2', output: { x: 2 } };
    try {
      expect(await recordResult(redis, keys, first, dir)).toBe(true);
      expect(await recordResult(redis, keys, again, dir)).toBe(false);
      const results = await readResults(redis, keys);
      expect(results.size).toBe(1);
      expect(results.get(first.jobId)?.worker).toBe('w1');
      expect(await redis.get(keys.duplicates)).toBe('1');
      // The file is the first completion's, and no temporary file is left behind.
      expect(JSON.parse(readFileSync(resultFile(dir, first.jobId), 'utf8')).worker).toBe('w1');
      expect(readdirSync(join(dir, 'jobs'))).toEqual([`${first.jobId}.json`]);
    } finally {
      await redis.del(keys.results, keys.duplicates);
      redis.disconnect();
    }
  });

  it('write_file_once_when_the_name_exists_then_false_and_unchanged', () => {
    const path = join(dir, 'once', 'a.json');
    expect(writeFileOnce(path, 'first')).toBe(true);
    expect(writeFileOnce(path, 'second')).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(readdirSync(join(dir, 'once'))).toEqual(['a.json']);
  });
});

describe('queue redis', () => {
  it('unreachable_redis_then_clear_error_naming_the_url_without_its_password_and_no_hang', async () => {
    const t0 = Date.now();
    const err = await connectQueueRedis('redis://user:s3cret@127.0.0.1:1', 1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueRedisError);
    expect(String(err)).toContain('redis://user:***@127.0.0.1:1');
    expect(String(err)).not.toContain('s3cret');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('bad_url_or_queue_list_then_refused_naming_the_flag', () => {
    expect(() => checkRedisUrl('http://x:1', '--queue')).toThrow("--queue: must be a redis:// or rediss:// URL, got 'http://x:1/'");
    expect(() => checkRedisUrl('not a url', '--redis')).toThrow('--redis: must be a redis://HOST:PORT URL');
    expect(parseQueueList('sweep, backtest,sweep')).toEqual(['sweep', 'backtest']);
    expect(parseQueueList('all')).toEqual(['backtest', 'sweep', 'walk-forward', 'train']);
    expect(() => parseQueueList('sweeps')).toThrow("--queues: 'sweeps' is not a queue; give some of backtest, sweep, walk-forward, train, noop (comma-separated) or all (every one but noop)");
  });
});
