/**
 * The tests' private Redis: never the user's server on 6379, and a server of a test's own really loses its data
 * on restart (the kill-switch tests rely on that to play a wiped store).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startRedisServer, testRedisUrl } from './redis-server.js';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return testFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

describe('private test Redis', () => {
  it('the_suite_redis_is_not_the_users_6379_unless_BULWARK_TEST_REDIS_URL_names_it', () => {
    const url = testRedisUrl();
    if (process.env.BULWARK_TEST_REDIS_URL) expect(url).toBe(process.env.BULWARK_TEST_REDIS_URL);
    else expect(new URL(url).port).not.toBe('6379');
  });

  it('no_test_file_names_a_redis_on_the_default_port', () => {
    // A test that connects to 6379 could wipe an ops user's live kill-switch state.
    const offenders = testFiles(srcDir)
      .filter((f) => /\.test\.ts$|test-helpers|test-support/.test(f) && !f.endsWith('redis-server.test.ts'))
      .filter((f) => /(127\.0\.0\.1|localhost|\[::1\]):6379|REDIS_URL \?\?/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(srcDir, f));
    expect(offenders).toEqual([]);
  });

  it('a_server_of_the_tests_own_loses_its_data_on_restart_and_refuses_connections_when_killed', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.connect();
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');
      await server.restart();
      const again = new Redis(server.url, { maxRetriesPerRequest: 0 });
      expect(await again.get('k')).toBeNull();
      await again.quit();
      await server.kill();
      const refused = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      refused.on('error', () => undefined);
      await expect(refused.connect()).rejects.toThrow();
      refused.disconnect();
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
