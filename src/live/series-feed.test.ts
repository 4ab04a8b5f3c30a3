import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bars } from '../core/index.js';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../data/index.js';
import { FeedError } from './feed.js';
import { openFeed } from './open-feed.js';
import { FakeRuntime } from './test-helpers/fake-runtime.js';

const H = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'bulwark-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const market = generateSynthetic(parseSynthSpec('gbm:bars=200,seed=4'));
const file = join(dir, 'gbm.csv');
beforeAll(() => writeBarsCsv(file, market));

async function drain(next: () => Promise<Bars | null>): Promise<number[]> {
  const times: number[] = [];
  for (let b = await next(); b !== null; b = await next()) times.push(...b.time);
  return times;
}

describe('replay feed', () => {
  it('at speed=max hands out every bar of the file at once, in order, on bar-close time', async () => {
    const runtime = new FakeRuntime(0);
    const { feed } = await openFeed(`replay:${file},speed=max`, { runtime });
    expect(feed.timing).toBe('bar-close');
    expect(feed.intervalMs).toBe(H);
    const first = await feed.next();
    expect(first?.length).toBe(200);
    expect(Array.from(first?.close ?? [])).toEqual(Array.from(market.close));
    expect(await feed.next()).toBeNull();
    expect(runtime.sleeps).toEqual([]);
  });

  it('at speed=N hands out one bar per interval/N of real time, the first at once', async () => {
    const runtime = new FakeRuntime(1_000_000);
    const { feed } = await openFeed(`replay:${file},speed=3600`, { runtime });
    expect(feed.timing).toBe('wall');
    const b0 = await feed.next();
    expect(b0?.time[0]).toBe(market.time[0]);
    // Feed time runs 3600× the wall clock from the first bar's close.
    expect(feed.clock.nowMs()).toBe(market.time[0] + H);
    const b1 = await feed.next();
    expect(b1?.time[0]).toBe(market.time[1]);
    expect(runtime.sleeps).toEqual([1000]);
    expect(feed.clock.nowMs()).toBe(market.time[1] + H);
    feed.close();
    expect(await feed.next()).toBeNull();
  });

  it('resumes after a given bar (a restarted session gets no bar twice)', async () => {
    const { feed } = await openFeed(`replay:${file},speed=max`, { startAfterMs: market.time[149] });
    const times = await drain(() => feed.next());
    expect(times).toEqual(Array.from(market.time.subarray(150)));
  });

  it('names FILE when the file is missing or broken', async () => {
    await expect(openFeed(`replay:${join(dir, 'nope.csv')}`)).rejects.toThrow(/--feed: FILE: .*cannot read the file/);
    const broken = join(dir, 'broken.csv');
    writeFileSync(broken, 'time,open,high,low,close\n1700000000000,1,2,0.5,1\n1700003600000,1,x,0.5,1\n');
    const err = await openFeed(`replay:${broken}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedError);
    expect(err instanceof FeedError && err.field).toBe('FILE');
    expect(String(err)).toMatch(/broken\.csv:3/);
  });
});

describe('synthetic feed', () => {
  it('streams the seeded market live: bar times are wall-clock times, each bar delivered at its close', async () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0, 400);
    const runtime = new FakeRuntime(start);
    const { feed } = await openFeed('synth:regime:seed=9,bars=5,interval=1s', { runtime });
    expect(feed.timing).toBe('wall');
    expect(feed.intervalMs).toBe(1000);
    const times = await drain(() => feed.next());
    // The first bar is the one forming at the start; it closes 600 ms later.
    expect(times).toEqual([0, 1, 2, 3, 4].map((i) => Date.UTC(2026, 0, 1, 12, 0, i)));
    expect(runtime.sleeps).toEqual([600, 1000, 1000, 1000, 1000]);
    // Same seed, same prices.
    const again = await openFeed('synth:regime:seed=9,bars=5,interval=1s', { runtime: new FakeRuntime(start) });
    const a = await again.feed.next();
    const expected = generateSynthetic({ ...parseSynthSpec('regime:seed=9,bars=5'), intervalMs: 1000, startTimeMs: times[0] });
    expect(a?.close[0]).toBe(expected.close[0]);
  });
});
