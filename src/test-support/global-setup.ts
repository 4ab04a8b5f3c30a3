/**
 * Vitest global setup: one private redis-server for the whole suite, on a free port, with no persistence,
 * stopped at the end. Tests read its URL with `testRedisUrl()`. `BULWARK_TEST_REDIS_URL` opts into an
 * existing server instead (its keys are still namespaced per test); the default port 6379 is never used.
 */
import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';

let server: RedisServerHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  const given = process.env.BULWARK_TEST_REDIS_URL;
  if (given) {
    project.provide('redisUrl', given);
    return;
  }
  server = await startRedisServer();
  project.provide('redisUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
