/**
 * `bulwark gateway --config FILE` (YAML or JSON): which markets are replayed, the rules, the gatekeeper and
 * fill settings, rate limits. Unknown fields are refused and every problem is reported with its path.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type Bars, defineInstrument, type Instrument, parseWithSchema } from '../core/index.js';
import { type Rules, loadRulesFile, parseRules } from '../constraints/index.js';
import { generateSynthetic, loadBarsCsv, parseSynthSpec } from '../data/index.js';
import { type GatekeeperConfig, parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import type { DeskMarket } from './chain-desk.js';

const marketSchema = z
  .strictObject({
    symbol: z.string().min(1),
    tickSize: z.number().positive().default(0.01),
    lotSize: z.number().positive().default(0.0001),
    minNotional: z.number().min(0).default(0),
    /** An OHLCV CSV file replayed bar by bar (relative to the config file). */
    csv: z.string().min(1).optional(),
    /** A synthetic market spec (`bulwark data synth` syntax), e.g. `regime:bars=5000,seed=3`. */
    synth: z.string().min(1).optional(),
  })
  .refine((m) => (m.csv === undefined) !== (m.synth === undefined), { message: 'give exactly one of csv or synth' });

export const gatewayConfigSchema = z.strictObject({
  /** The sessions' mode; a token's mode must match it. Only paper runs here: testnet and live need the ccxt venue. */
  mode: z
    .enum(['paper', 'testnet', 'live'])
    .default('paper')
    .refine((m) => m === 'paper', { message: 'testnet and live sessions need the ccxt venue, which this gateway does not have yet: only paper' }),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8787),
  markets: z.array(marketSchema).min(1).default([{ symbol: 'BTC/USDT', tickSize: 0.01, lotSize: 0.0001, minNotional: 0, synth: 'regime:bars=5000,seed=1' }]),
  /** Wall-clock time between two replayed bars. */
  replayBarMs: z.number().positive().default(1000),
  initialCash: z.number().positive().default(10_000),
  actionType: z.enum(['discrete', 'box']).default('discrete'),
  /** A rules file (relative to the config file) or the rules inline; none: the engine masks nothing. */
  rules: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  gatekeeper: z.record(z.string(), z.unknown()).default({}),
  fill: z.record(z.string(), z.unknown()).default({}),
  rateLimit: z.strictObject({ max: z.number().int().positive(), timeWindowMs: z.number().int().positive() }).default({ max: 6000, timeWindowMs: 1000 }),
  bodyLimitBytes: z.number().int().min(256).max(1_048_576).default(16_384),
  /**
   * When a request that changed something (an accepted order, a kill) is answered: after its audit records are
   * fdatasync'd (`fsync`: survives a power loss) or written to the OS (`write`: survives a crash of the gateway,
   * not of the machine). Either way by group commit, one flush per batch of concurrent requests.
   */
  auditAck: z.enum(['fsync', 'write']).default('fsync'),
  /** Key prefix of the trading states (and revocations) in Redis, when --redis is given. */
  redisPrefix: z.string().min(1).default('bulwark:ks:'),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

export interface LoadedGatewayConfig {
  readonly config: GatewayConfig;
  readonly markets: DeskMarket[];
  readonly instruments: Instrument[];
  readonly rules: Rules | null;
  readonly gatekeeper: GatekeeperConfig;
}

/** Reads and checks a config (none: the defaults); loads every market's bars. */
export async function loadGatewayConfig(path: string | undefined): Promise<LoadedGatewayConfig> {
  let raw: unknown = {};
  const base = path === undefined ? process.cwd() : dirname(resolve(path));
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new Error(`--config ${path}: cannot be read`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new Error(`--config ${path}: not YAML or JSON (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
  }
  const source = path ?? 'gateway defaults';
  const config = parseWithSchema(gatewayConfigSchema, raw, source);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const markets: DeskMarket[] = [];
  const instruments: Instrument[] = [];
  for (const m of config.markets) {
    const instrument = defineInstrument({ symbol: m.symbol, tickSize: m.tickSize, lotSize: m.lotSize, minNotional: m.minNotional });
    const bars: Bars = m.csv !== undefined ? (await loadBarsCsv(at(m.csv))).bars : generateSynthetic(parseSynthSpec(m.synth ?? ''));
    if (bars.length < 2) throw new Error(`${source}: markets ${m.symbol}: the feed has ${bars.length} bars, at least 2 are needed`);
    markets.push({ instrument, bars, intervalMs: bars.time[1] - bars.time[0] });
    instruments.push(instrument);
  }
  const rules = config.rules === undefined ? null : typeof config.rules === 'string' ? loadRulesFile(at(config.rules)) : parseRules(config.rules, `${source}: rules`);
  return { config, markets, instruments, rules, gatekeeper: parseGatekeeperConfig(config.gatekeeper, `${source}: gatekeeper`) };
}
