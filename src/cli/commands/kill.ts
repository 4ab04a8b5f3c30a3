/**
 * `bulwark kill --soft|--hard`, `bulwark resume`, `bulwark kill restore`, `bulwark status`: operate the
 * kill-switch in Redis. State of our own lives in one home (`--home`, `BULWARK_HOME`, or `~/.bulwark`): the
 * kill-switch audit log, its signing key (made on first use, mode 0600), the keyring and the witness.
 * Every flip is written to the log: the request before Redis is touched, the change after. A store that lost
 * its state (no restored epoch) is restored from the log first. Only a tightening is a kill; every loosening
 * is a resume, refused unless it can be recorded. A kill is never held up by the audit log (it is applied,
 * and the command then fails naming the audit problem).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { systemClock } from '../../core/index.js';
import { type AuditLog, type AuditSink, type BulwarkHome, resolveHome } from '../../security/index.js';
import {
  RedisStateStore,
  type StateRecord,
  type TradingState,
  UnauditedStateChangeError,
  applyOperatorChange,
  assertKillTightens,
  assertResumeLoosens,
  errorText,
  operatorChange,
  parseScope,
} from '../../risk-gatekeeper/index.js';
import { type KillSwitchLogState, needsRestore, openKillSwitchLog, replayKillSwitchLog, restoreFromLog } from './killswitch-log.js';
import { registerStatusCommand } from './kill-status.js';

export interface StoreOptions {
  redis: string;
  prefix: string;
  home?: string;
  audit?: string;
}
interface OperatorOptions extends StoreOptions {
  reason?: string;
  operator: string;
}
interface FlipOptions extends OperatorOptions {
  scope: string;
}

function defaultOperator(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'Redis holding the kill-switch state', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'key prefix of the kill-switch state in Redis', 'bulwark:ks:')
    .option('--home <dir>', 'home of the kill-switch log, keys, keyring and witness (default: BULWARK_HOME, else ~/.bulwark)')
    .option('--audit <file>', 'kill-switch audit log (default: <home>/audit/killswitch.jsonl)');
}

// --reason is checked by hand: commander would also demand a required option of `kill` from `kill restore`.
function addOperatorOptions(cmd: Command): Command {
  return addStoreOptions(cmd)
    .option('--reason <text>', 'why (recorded with the change; required)')
    .option('--operator <id>', 'who', defaultOperator());
}

function requireReason(opts: { reason?: string }, command: string): string {
  if (opts.reason === undefined || opts.reason.trim() === '') throw new Error(`${command}: --reason is required (it is recorded with the change)`);
  return opts.reason;
}

export function homeAndLog(opts: StoreOptions): { home: BulwarkHome; logPath: string } {
  const home = resolveHome(opts.home);
  return { home, logPath: opts.audit ?? home.killSwitchLogPath };
}

export async function openStore(opts: StoreOptions): Promise<RedisStateStore> {
  const store = new RedisStateStore({ url: opts.redis, keyPrefix: opts.prefix, clock: systemClock, reconnect: false });
  try {
    await store.connect();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** A sink that refuses every write, standing in for a log that could not be opened (a kill still goes ahead). */
function failingSink(problem: unknown): AuditSink {
  return {
    append: () => {
      throw problem;
    },
  };
}

type FlipKind = 'kill' | 'resume';

async function flip(kind: FlipKind, state: TradingState, opts: FlipOptions): Promise<void> {
  const change = operatorChange(parseScope(opts.scope), state, opts.operator, requireReason(opts, kind));
  const { home, logPath } = homeAndLog(opts);
  const store = await openStore(opts);
  const tightening = kind === 'kill';
  try {
    // Refused before anything is written: a kill that would loosen, a resume that would not.
    if (tightening) assertKillTightens(change, store.cache.stateOf(change.scope));
    // The key and the log are made only once Redis answered: a failed flip leaves nothing behind.
    let log: AuditLog | undefined;
    let auditProblem: unknown;
    let replayed: KillSwitchLogState | undefined;
    try {
      replayed = replayKillSwitchLog(home, logPath);
      log = openKillSwitchLog(home, logPath, systemClock);
    } catch (err) {
      if (!tightening) throw err;
      auditProblem = err;
    }
    try {
      const sink: AuditSink = log ?? failingSink(auditProblem);
      if (needsRestore(store, systemClock.nowMs())) {
        const why = store.healthProblem();
        try {
          if (replayed === undefined) throw auditProblem;
          const restored = await restoreFromLog(store, replayed, sink, {
            actor: change.actor,
            reason: `restore before ${kind}: ${why}`,
            clock: systemClock,
          });
          process.stdout.write(`restored ${restored.records.length} scope(s) from ${logPath} under epoch ${restored.epoch.id} (the store had ${why})\n`);
        } catch (err) {
          // A resume needs a restored store; a kill goes ahead on an unrestored one (and fails afterwards).
          if (!tightening) throw new Error(`${kind} refused: the store could not be restored first (${errorText(err)})`);
          auditProblem ??= err;
        }
      }
      if (tightening) assertKillTightens(change, store.cache.stateOf(change.scope));
      else assertResumeLoosens(change, store.cache.stateOf(change.scope));
      let record: StateRecord;
      try {
        record = await applyOperatorChange(store, sink, change, { recordChanged: true, tightenOnly: tightening });
      } catch (err) {
        if (err instanceof UnauditedStateChangeError) process.stdout.write(`${describeRecord(err.record)}\n`);
        throw err;
      }
      process.stdout.write(`${describeRecord(record)}\n`);
      if (auditProblem !== undefined) {
        // Written down as far as possible, but the log could not be replayed or the store restored: fail loudly.
        throw new Error(`kill applied, but the kill-switch log ${logPath} could not be replayed or restored first (${errorText(auditProblem)})`);
      }
    } finally {
      log?.close();
    }
  } finally {
    await store.close();
  }
}

async function restoreCommand(opts: OperatorOptions): Promise<void> {
  const reason = requireReason(opts, 'kill restore');
  if (opts.operator.trim() === '') throw new Error('operator: must not be empty');
  const { home, logPath } = homeAndLog(opts);
  const store = await openStore(opts);
  try {
    const replayed = replayKillSwitchLog(home, logPath);
    const log = openKillSwitchLog(home, logPath, systemClock);
    try {
      const outcome = await restoreFromLog(store, replayed, log, { actor: `operator:${opts.operator}`, reason, clock: systemClock });
      process.stdout.write(
        `restored ${outcome.records.length} scope(s) from ${logPath} under epoch ${outcome.epoch.id} ` +
          `(previous epoch ${outcome.previousEpoch ?? 'none'})\n`,
      );
      for (const r of outcome.records) process.stdout.write(`  ${r.scope}: ${r.state} (${r.actor}: ${r.reason})\n`);
      for (const s of outcome.keptFromStore) process.stdout.write(`  note: ${s}: the store's state was kept over the log's (newer or stricter)\n`);
    } finally {
      log.close();
    }
  } finally {
    await store.close();
  }
}

export function describeRecord(r: StateRecord): string {
  const at = new Date(r.changedAtMs).toISOString();
  return `${r.scope}: ${r.previous} -> ${r.state} (version ${r.version}, ${at}, ${r.actor}): ${r.reason}`;
}

function parseResumeTarget(text: string): 'ACTIVE' | 'REDUCING' {
  const t = text.toLowerCase();
  if (t === 'active') return 'ACTIVE';
  if (t === 'reducing') return 'REDUCING';
  throw new RangeError(`--to: must be active or reducing, got '${text}'`);
}

export function registerKillCommand(program: Command): void {
  const kill = addOperatorOptions(
    program
      .command('kill')
      .description('soft kill (REDUCING: only position-shrinking orders) or hard kill (HALTED: cancel and flatten); only ever tightens')
      .option('--scope <scope>', 'global, agent:ID or instrument:SYMBOL', 'global')
      .option('--soft', 'move the scope to REDUCING', false)
      .option('--hard', 'move the scope to HALTED', false),
  ).action(async (opts: FlipOptions & { soft: boolean; hard: boolean }) => {
    if (opts.soft === opts.hard) throw new Error('kill: give exactly one of --soft or --hard');
    await flip('kill', opts.hard ? 'HALTED' : 'REDUCING', opts);
  });

  addOperatorOptions(
    kill.command('restore').description("rebuild every scope's state from the signed kill-switch log and write it back under a new epoch"),
  ).action(async (_opts: OperatorOptions, cmd: Command) => {
    // `kill` itself has the same options, and commander lets it take them after `restore` too: read both.
    await restoreCommand(cmd.optsWithGlobals<OperatorOptions>());
  });

  addOperatorOptions(
    program
      .command('resume')
      .description('loosen a scope: to ACTIVE, or from HALTED to REDUCING (--to reducing); only an operator can')
      .option('--scope <scope>', 'global, agent:ID or instrument:SYMBOL', 'global')
      .option('--to <state>', 'active or reducing', 'active'),
  ).action(async (opts: FlipOptions & { to: string }) => {
    await flip('resume', parseResumeTarget(opts.to), opts);
  });

  registerStatusCommand(program);
}
