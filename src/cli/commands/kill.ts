/**
 * `bulwark kill --soft|--hard`, `bulwark resume`, `bulwark status`: operate the kill-switch in Redis.
 * Every flip is written to a signed audit file (the signing key is made on first use, mode 0600): the request
 * before Redis is touched, the change after. Before a flip the file is replayed into Redis, so a Redis that
 * lost its state comes back latched. A kill is never held up by the audit file (it is applied, and the
 * command then fails naming the audit problem); a resume is refused unless it can be recorded.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../../core/index.js';
import { AuditLog, type AuditSink, readAuditEvents, writeAuditKeyPair } from '../../security/index.js';
import {
  RedisStateStore,
  type StateRecord,
  UnauditedStateChangeError,
  applyOperatorChange,
  errorText,
  isTightening,
  type TradingState,
  operatorChange,
  parseScope,
  replayTradingStates,
} from '../../risk-gatekeeper/index.js';

interface StoreOptions {
  redis: string;
  prefix: string;
}
interface FlipOptions extends StoreOptions {
  scope: string;
  reason: string;
  operator: string;
  audit: string;
  keys: string;
}

const DEFAULT_AUDIT = join('.bulwark', 'audit', 'killswitch.jsonl');
const DEFAULT_KEYS = join('.bulwark', 'keys');

function defaultOperator(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'Redis holding the kill-switch state', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'key prefix of the kill-switch state in Redis', 'bulwark:ks:');
}

function addFlipOptions(cmd: Command): Command {
  return addStoreOptions(cmd)
    .option('--scope <scope>', 'global, agent:ID or instrument:SYMBOL', 'global')
    .requiredOption('--reason <text>', 'why (recorded with the change)')
    .option('--operator <id>', 'who (default: the OS user)', defaultOperator())
    .option('--audit <file>', 'audit log the change is written to', DEFAULT_AUDIT)
    .option('--keys <dir>', 'where the audit signing key lives (made on first use)', DEFAULT_KEYS);
}

async function openStore(opts: StoreOptions): Promise<RedisStateStore> {
  const store = new RedisStateStore({ url: opts.redis, keyPrefix: opts.prefix, clock: systemClock, reconnect: false });
  try {
    await store.connect();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

function signingKeyPath(keysDir: string): string {
  const path = join(keysDir, 'audit-signing.pem');
  if (!existsSync(path)) {
    const written = writeAuditKeyPair(keysDir);
    process.stderr.write(`made an audit signing key: ${written.privateKeyPath} (mode 0600), public key ${written.publicKeyPath}\n`);
  }
  return path;
}

async function flip(state: TradingState, opts: FlipOptions): Promise<void> {
  const change = operatorChange(parseScope(opts.scope), state, opts.operator, opts.reason);
  const store = await openStore(opts);
  try {
    // A kill is applied whatever state the audit log is in (and the failure reported afterwards); a
    // loosening is refused unless the log can be replayed, opened and written.
    const tightening = isTightening(store, change);
    let replayed: StateRecord[] = [];
    let auditProblem: unknown;
    try {
      replayed = existsSync(opts.audit) ? replayTradingStates(readAuditEvents(opts.audit)) : [];
    } catch (err) {
      if (!tightening) throw err;
      auditProblem = err;
    }
    // The key and the audit directory are made only once Redis answered: a failed flip leaves nothing behind.
    let log: AuditLog | undefined;
    try {
      const keyPath = signingKeyPath(opts.keys);
      mkdirSync(dirname(opts.audit), { recursive: true });
      log = AuditLog.open({ path: opts.audit, signingKey: keyPath });
    } catch (err) {
      if (!tightening) throw err;
      auditProblem ??= err;
    }
    try {
      await store.restore(replayed);
      const sink: AuditSink =
        log ??
        ({
          append: () => {
            throw auditProblem;
          },
        } satisfies AuditSink);
      let record: StateRecord;
      try {
        record = await applyOperatorChange(store, sink, change, { recordChanged: true });
      } catch (err) {
        if (err instanceof UnauditedStateChangeError) process.stdout.write(`${describe(err.record)}\n`);
        throw err;
      }
      process.stdout.write(`${describe(record)}\n`);
      if (auditProblem !== undefined) {
        // Written down, but the log could not be replayed first: say so, and fail so scripts notice.
        throw new Error(`audit log ${opts.audit} could not be replayed before the kill (${errorText(auditProblem)}); the kill is applied and recorded`);
      }
    } finally {
      log?.close();
    }
  } finally {
    await store.close();
  }
}

function describe(r: StateRecord): string {
  const at = new Date(r.changedAtMs).toISOString();
  return `${r.scope}: ${r.previous} -> ${r.state} (version ${r.version}, ${at}, ${r.actor}): ${r.reason}`;
}

export function registerKillCommand(program: Command): void {
  addFlipOptions(
    program
      .command('kill')
      .description('soft kill (REDUCING: only position-shrinking orders) or hard kill (HALTED: cancel and flatten)')
      .option('--soft', 'move the scope to REDUCING', false)
      .option('--hard', 'move the scope to HALTED', false),
  ).action(async (opts: FlipOptions & { soft: boolean; hard: boolean }) => {
    if (opts.soft === opts.hard) throw new Error('kill: give exactly one of --soft or --hard');
    await flip(opts.hard ? 'HALTED' : 'REDUCING', opts);
  });

  addFlipOptions(program.command('resume').description('return a scope to ACTIVE (only an operator can)')).action(
    async (opts: FlipOptions) => {
      await flip('ACTIVE', opts);
    },
  );

  addStoreOptions(program.command('status').description('print the trading state of every scope'))
    .option('--json', 'print one JSON object', false)
    .action(async (opts: StoreOptions & { json: boolean }) => {
      const store = await openStore(opts);
      try {
        const records = store.cache.all();
        const global = store.cache.stateOf('global');
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ global, health: store.health(systemClock.nowMs()), scopes: records })}\n`);
          return;
        }
        if (!records.some((r) => r.scope === 'global')) process.stdout.write('global: ACTIVE (never changed)\n');
        for (const r of records) process.stdout.write(`${describe(r)}\n`);
      } finally {
        await store.close();
      }
    });
}
