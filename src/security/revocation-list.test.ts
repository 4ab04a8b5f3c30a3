import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/index.js';
import { startRedisServer, testRedisUrl } from '../test-support/redis-server.js';
import { RedisRevocationList } from './revocation-list.js';

const open: RedisRevocationList[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

async function connected(url: string, keyPrefix: string): Promise<RedisRevocationList> {
  const list = new RedisRevocationList({ url, keyPrefix, clock: systemClock });
  open.push(list);
  await list.connect();
  return list;
}

async function waitFor(cond: () => boolean, limitMs: number): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

describe('RedisRevocationList', () => {
  it('a_revocation_on_one_gateway_is_honoured_by_another_within_one_second', async () => {
    const prefix = `test:revoke:${process.pid}:${Date.now()}:`;
    const a = await connected(testRedisUrl(), prefix);
    const b = await connected(testRedisUrl(), prefix);
    expect(b.isRevoked('jti-1')).toBe(false);
    await a.revoke('jti-1', Date.now() + 60_000);
    expect(a.isRevoked('jti-1')).toBe(true);
    expect(await waitFor(() => b.isRevoked('jti-1'), 1000)).toBeLessThan(1000);
    // A gateway started later reads it from the set, not the channel.
    const c = await connected(testRedisUrl(), prefix);
    expect(c.isRevoked('jti-1')).toBe(true);
  });

  it('a_wiped_redis_does_not_unrevoke_and_is_written_back_for_gateways_started_after_the_wipe', async () => {
    const server = await startRedisServer();
    try {
      const a = await connected(server.url, 'wipe:');
      await a.revoke('jti-w', Date.now() + 60_000);
      await server.restart();
      await waitFor(() => a.health(Date.now()) === 'OK', 5000);
      expect(a.isRevoked('jti-w')).toBe(true);
      const late = await connected(server.url, 'wipe:');
      await waitFor(() => late.isRevoked('jti-w'), 2000);
    } finally {
      for (const l of open.splice(0)) await l.close();
      await server.stop();
    }
  });

  it('an_unreachable_redis_makes_the_list_not_ok_within_one_second_so_tokens_fail_closed', async () => {
    const server = await startRedisServer();
    try {
      const a = await connected(server.url, 'down:');
      expect(a.health(Date.now())).toBe('OK');
      await server.kill();
      await waitFor(() => a.health(Date.now()) !== 'OK', 1500);
    } finally {
      for (const l of open.splice(0)) await l.close();
      await server.stop();
    }
  });

  it('connect_succeeds_after_the_poll_timer_has_fired_before_it_and_the_list_is_ok', async () => {
    // The timer's re-read once started the lazy connection itself before connect() ran: connect() then rejected
    // ("already connecting") and the re-read failed ("Stream isn't writeable"). The gateway connects late under load.
    const list = new RedisRevocationList({ url: testRedisUrl(), keyPrefix: `test:revoke-late:${process.pid}:`, clock: systemClock, pollIntervalMs: 5 });
    open.push(list);
    await new Promise((r) => setTimeout(r, 60));
    expect(list.health(Date.now())).toBe('UNAVAILABLE');
    await list.connect();
    expect(list.health(Date.now())).toBe('OK');
    expect(list.lastError).toBe('');
  });

  it('entries_leave_when_their_token_would_have_expired', async () => {
    const prefix = `test:revoke-exp:${process.pid}:${Date.now()}:`;
    const a = await connected(testRedisUrl(), prefix);
    await a.revoke('short', Date.now() + 150);
    expect(a.isRevoked('short')).toBe(true);
    await waitFor(() => !a.isRevoked('short'), 2000);
  });
});
