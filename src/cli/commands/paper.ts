/**
 * `bulwark paper --agent SPEC --feed SPEC [--rules FILE] [--risk FILE] [--redis URL] [--session DIR] …`: one agent
 * on a live (or replayed) feed through the full chain against the journaled paper venue. A status line (or one
 * JSON line per decision with --json); Ctrl-C stops cleanly (open orders cancelled or kept, as --on-stop says);
 * run it again with the same --session to resume. `bulwark kill --soft|--hard --redis URL` from another shell
 * acts on the running session from its next decision.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock, trainingDayWarning, withTradingSession } from '../../core/index.js';
import { loadRulesFile } from '../../constraints/index.js';
import { type TradingStateStore, RedisStateStore } from '../../risk-gatekeeper/index.js';
import { AuditLog, generateAuditKeyPair, resolveBulwarkHome } from '../../security/index.js';
import { backtestInstrument, createRuleAgent, isRuleAgentSpec, loadRiskFile } from '../../backtests/index.js';
import {
  type DecisionRow,
  PaperSession,
  SESSION_FILES,
  UNKNOWN_ORDER_ACTIONS,
  describeReconcile,
  loadLiveCheckpointAgent,
  openFeed,
  parseDurationMs,
} from '../../live/index.js';
import { type TierChoice, checkpointTier, isModuleAgentSpec, openSandboxedBacktestAgent, parseSandboxLimits, parseTier } from '../../sandbox/index.js';
import { accountConfigOf, accountWithOverrides, describeAccount, parseAccountConfig } from '../../venues/index.js';
import { accountFromFlags, addAccountOptions, type AccountFlags } from '../account-flags.js';
import { type SessionFlags, addSessionOptions, parseNumberFlag, sessionFromFlags } from '../flags.js';

export interface PaperFlags extends SessionFlags, AccountFlags {
  agent: string;
  feed: string;
  rules?: string;
  risk?: string;
  redis?: string;
  redisPrefix: string;
  session?: string;
  cash: string;
  feesBps?: string;
  spreadBps?: string;
  slippageBps?: string;
  onStop: string;
  unknownOrders?: string;
  reportEvery?: string;
  json: boolean;
  seed: string;
  tier?: string;
  origin?: string;
  trustedKeys?: string;
  decisionTimeoutMs?: string;
}

export function registerPaperCommand(program: Command): void {
  const cmd = program
    .command('paper')
    .description('paper trading: an agent on a live or replayed feed through the full safety chain, journaled and resumable')
    .requiredOption('--agent <spec>', 'buy-and-hold | sma-cross[:fast=10,slow=30] | random[:p=0.05], with size=F or qty=Q; or a checkpoint (file or training run directory) written by bulwark train')
    .requiredOption('--feed <spec>', 'replay:FILE[,speed=N|max] | synth:MODEL[:k=v,…][,interval=1s] | ccxt:EXCHANGE:SYMBOL:TIMEFRAME')
    .option('--rules <file>', 'Constraint Logic Engine rule set (YAML/JSON)')
    .option('--risk <file>', 'risk gatekeeper config (YAML/JSON)')
    .option('--redis <url>', 'kill-switch state in Redis (shared with bulwark kill); in-memory when absent')
    .option('--redis-prefix <prefix>', 'key prefix of the kill-switch state in Redis', 'bulwark:ks:')
    .option('--session <dir>', 'session directory (journal, audit log); the same directory resumes the session')
    .option('--cash <n>', 'starting cash in quote currency', '10000')
    .option('--fees-bps <n>', 'fee in bps of notional (maker and taker)')
    .option('--spread-bps <n>', 'full quoted spread in bps (a taker pays half)')
    .option('--slippage-bps <n>', 'fixed slippage in bps per taker fill')
    .option('--on-stop <what>', 'open orders at Ctrl-C: cancel or keep', 'cancel')
    .option('--unknown-orders <what>', 'at start, working venue orders the journal does not know: cancel or adopt', 'cancel')
    .option('--report-every <n|duration>', 'also write the session files every N bars (e.g. 500) or every duration of wall time (e.g. 30s, 5m); always on stop')
    .option('--seed <n>', 'seed for random agents', '0')
    .option('--tier <n>', 'sandbox tier for a JavaScript agent (FILE.mjs) or a checkpoint: raises the tier its risk score gives, never lowers it (0-3)')
    .option('--origin <origin>', 'where the agent comes from (risk score): FILE.mjs local (default) | third-party; a checkpoint own-checkpoint (default) | third-party')
    .option('--trusted-keys <dir>', 'directory of Ed25519 public keys (*.pub.pem); FILE.sig signed by one lowers the risk score')
    .option('--decision-timeout-ms <n>', 'sandboxed agent: a later answer is HOLD and counted (default 250)')
    .option('--json', 'print one JSON line per decision instead of the status line', false)
    .action(async (flags: PaperFlags) => {
      const out = await runPaperCommand(flags, (line) => process.stdout.write(line), process);
      process.stderr.write(`${out.summary}\n`);
    });
  addSessionOptions(cmd);
  addAccountOptions(cmd, 'the account the paper venue keeps (a resumed session must keep the same)');
}

/** Where SIGINT/SIGTERM come from: the process, or a test's emitter. */
export interface StopSignals {
  once(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  removeListener(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface PaperCommandResult {
  readonly dir: string;
  readonly decisions: number;
  readonly summary: string;
}

/** Everything but the process wiring: `signals` receives SIGINT/SIGTERM handlers (the process, or a test's emitter). */
export async function runPaperCommand(
  flags: PaperFlags,
  write: (text: string) => void,
  signals: StopSignals,
): Promise<PaperCommandResult> {
  if (flags.onStop !== 'cancel' && flags.onStop !== 'keep') throw new RangeError(`--on-stop: must be cancel or keep, got '${flags.onStop}'`);
  const onStop = flags.onStop;
  const unknownOrders = UNKNOWN_ORDER_ACTIONS.find((a) => a === (flags.unknownOrders ?? 'cancel'));
  if (unknownOrders === undefined) throw new RangeError(`--unknown-orders: must be ${UNKNOWN_ORDER_ACTIONS.join(' or ')}, got '${flags.unknownOrders}'`);
  const files = parseReportEvery(flags.reportEvery);
  const cash = parseNumberFlag(flags.cash, '--cash', { above: 0 });
  const tradingSession = sessionFromFlags(flags);
  const account = parseAccountConfig(accountWithOverrides(undefined, accountFromFlags(flags)), 'account (--account, --leverage, --maintenance-margin)');
  const fill = {
    ...(flags.feesBps === undefined ? {} : { takerFeeBps: parseNumberFlag(flags.feesBps, '--fees-bps', { atLeast: 0 }), makerFeeBps: parseNumberFlag(flags.feesBps, '--fees-bps', { atLeast: 0 }) }),
    ...(flags.spreadBps === undefined ? {} : { spreadBps: parseNumberFlag(flags.spreadBps, '--spread-bps', { atLeast: 0 }) }),
    ...(flags.slippageBps === undefined ? {} : { slippageBps: parseNumberFlag(flags.slippageBps, '--slippage-bps', { atLeast: 0 }) }),
  };
  const ruleAgent = isRuleAgentSpec(flags.agent) ? createRuleAgent(flags.agent) : null;
  const rules = flags.rules === undefined ? null : loadRulesFile(flags.rules);
  const risk = flags.risk === undefined ? null : loadRiskFile(flags.risk);
  const dir = resolve(flags.session ?? join('runs', `paper-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const sessionId = `paper-${basename(dir).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40) || 'session'}`;

  // A session resumes after the last bar it journaled; the feed skips what came before.
  const resumeAfter = lastJournaledBarMs(dir);
  const { feed, instrument } = await openFeed(flags.feed, resumeAfter === undefined ? {} : { startAfterMs: resumeAfter });
  const sandbox = await sandboxedAgent(flags, ruleAgent !== null, sessionId);
  // A checkpoint is loaded against the feed's bar interval (its features are annualised with it).
  let policy: Awaited<ReturnType<typeof loadLiveCheckpointAgent>> | null = null;
  try {
    if (ruleAgent === null && sandbox?.module === undefined) policy = await loadLiveCheckpointAgent(flags.agent, feed.intervalMs, sandbox?.runner ?? undefined);
  } catch (err) {
    await sandbox?.runner?.policy?.close();
    throw err;
  }
  const supervised = sandbox?.module ?? sandbox?.runner?.policy ?? null;
  const agent = ruleAgent ?? sandbox?.module ?? policy?.agent;
  if (agent === undefined) throw new Error('unreachable: no agent');
  const store = await openStore(flags);
  const audit = openSessionAudit(dir);
  if (supervised !== null) supervised.audit = audit;
  let decisions = 0;
  let statusShown = 0;
  let session: PaperSession;
  try {
    session = PaperSession.open({
      sessionId,
      dir,
      feed,
      instrument: withTradingSession(instrument ?? backtestInstrument(feed.symbol), tradingSession),
      agent,
      initialCash: cash,
      account,
      fill,
      rules,
      risk,
      audit,
      seed: Number(flags.seed),
      ...(store === null ? {} : { store }),
      files,
      unknownOrders,
      ...(policy === null ? {} : { observe: policy.observe, obsDim: policy.obsDim }),
      onDecision: (row) => {
        decisions++;
        if (flags.json) write(`${JSON.stringify(jsonRow(row))}\n`);
        else if (row.seq === 0 || Date.now() - statusShown > 200) {
          statusShown = Date.now();
          write(`\r${statusLine(row, session.stale, session.reconciling)}\u001b[K`);
        }
      },
      onStateChange: (from, to, actor, reason) => {
        if (!flags.json) write(`\n${new Date().toISOString()} trading state ${from} -> ${to} by ${actor}: ${reason}\n`);
      },
    });
  } catch (err) {
    // A refused resume (other account, cash or trading day) must not leave the audit log locked or the store open.
    audit.close();
    await store?.close();
    await supervised?.close();
    throw err;
  }
  // As a backtest does: a policy trading on another account than it trained on is told, on stderr (stdout may be --json).
  if (policy !== null && JSON.stringify(accountConfigOf(policy.trainedAccount)) !== JSON.stringify(accountConfigOf(account))) {
    process.stderr.write(`Warning: account differs from training: trained on ${describeAccount(policy.trainedAccount)}, this session uses ${describeAccount(account)}.\n`);
  }
  const dayWarning = policy === null ? null : trainingDayWarning(policy.trainedSession, tradingSession, 'this session uses');
  if (dayWarning !== null) process.stderr.write(`${dayWarning}\n`);
  if (!flags.json) {
    const r = session.restored;
    write(
      r.bars === 0
        ? `paper session ${sessionId} in ${dir}, feed ${feed.spec}, account ${describeAccount(account)}${policy === null ? '' : `\n${policy.note}`}\n`
        : `resumed ${sessionId}: ${r.bars} bars, ${r.fills} fills, position ${session.venue.positionQty} from the journal; adopted open orders: ${r.working.join(', ') || 'none'}\n`,
    );
  }
  // Reconcile: a line only when the journal and the venue differed (a --json consumer gets it as one JSON line).
  const reconcile = session.reconcile;
  if (reconcile !== null && !reconcile.matched) {
    if (flags.json) {
      const { adopted, cancelled, lost, position, cash } = reconcile;
      write(`${JSON.stringify({ reconcile: { unknown_orders: reconcile.unknownOrders, adopted, cancelled, lost, position, cash, state: 'REDUCING' } })}\n`);
    } else write(`${describeReconcile(reconcile)}\n`);
  }
  // Always on stderr (a --json consumer reads stdout): what a crash left at the journal's end and what was done.
  for (const line of session.journalRepairs) process.stderr.write(`warning: ${line}\n`);
  const storeProblem = session.storeProblem();
  if (storeProblem !== null) {
    if (flags.json) process.stderr.write(`${storeProblem}\n`);
    else write(`${storeProblem}\n`);
  }
  const stop = (): void => session.stop(onStop);
  signals.once('SIGINT', stop);
  signals.once('SIGTERM', stop);
  try {
    await session.run();
  } finally {
    signals.removeListener('SIGINT', stop);
    signals.removeListener('SIGTERM', stop);
    session.close();
    await supervised?.close();
    audit.close();
    await store?.close();
  }
  const b = session.balances();
  return {
    dir,
    decisions,
    summary:
      `${flags.json ? '' : '\n'}stopped: ${decisions} decisions, position ${b.positionQty}, cash ${b.cash.toFixed(2)}, equity ${b.equity.toFixed(2)}\n` +
      (sandbox === null ? '' : `${sandbox.note} ${supervised?.summary() ?? ''}\n`) +
      `session files in ${dir}: ${[...SESSION_FILES, 'audit.jsonl', 'journal.jsonl'].join(', ')}`,
  };
}

/** `--report-every`: a whole number of bars (`500`), or a wall-clock duration (`30s`, `5m`, `1h`). */
export function parseReportEvery(text: string | undefined): { everyBars?: number; everyMs?: number } {
  if (text === undefined) return {};
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const bars = Number(t);
    if (bars < 1) throw new RangeError(`--report-every: must be at least 1 bar, got '${text}'`);
    return { everyBars: bars };
  }
  let ms: number;
  try {
    ms = parseDurationMs(t, '--report-every');
  } catch {
    throw new RangeError(`--report-every: must be a number of bars (e.g. 500) or a duration (e.g. 30s, 5m, 1h), got '${text}'`);
  }
  if (!(ms > 0)) throw new RangeError(`--report-every: the duration must be > 0, got '${text}'`);
  return { everyMs: ms };
}

function jsonRow(row: DecisionRow): Record<string, unknown> {
  return {
    seq: row.seq,
    bar_time: new Date(row.barTimeMs).toISOString(),
    price: row.price,
    state: row.state,
    outcome: row.outcome,
    reasons: row.reasons,
    client_order_id: row.clientOrderId,
    qty: row.signedQty,
    position: row.positionQty,
    equity: row.equity,
  };
}

function statusLine(row: DecisionRow, stale: boolean, reconciling: boolean): string {
  const last = `${row.outcome}${row.reasons.length > 0 ? ` (${row.reasons.join(', ')})` : ''}`;
  return `${new Date(row.barTimeMs).toISOString()} price ${row.price.toFixed(2)} position ${row.positionQty} equity ${row.equity.toFixed(2)} ${row.state}${reconciling ? ' (RECONCILING)' : ''}${stale ? ' STALE FEED' : ''} last ${last}`;
}

async function openStore(flags: PaperFlags): Promise<TradingStateStore | null> {
  if (flags.redis === undefined) return null;
  const store = new RedisStateStore({ url: flags.redis, keyPrefix: flags.redisPrefix, clock: systemClock });
  await store.connect();
  return store;
}

/** The session's audit log: continued across restarts, signed by a key kept under BULWARK_HOME (not beside the log). */
function openSessionAudit(dir: string): AuditLog {
  mkdirSync(dir, { recursive: true });
  const keyDir = join(resolveBulwarkHome(), 'paper-keys');
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const keyPath = join(keyDir, `${createHash('sha256').update(dir).digest('hex').slice(0, 24)}.pem`);
  if (!existsSync(keyPath)) {
    const pair = generateAuditKeyPair();
    writeFileSync(keyPath, pair.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'audit.pub.pem'), pair.publicKeyPem);
  }
  return AuditLog.open({ path: join(dir, 'audit.jsonl'), signingKey: keyPath, tornTail: 'recover', fsync: 'checkpoint', checkpointEvery: 1000 });
}

function lastJournaledBarMs(dir: string): number | undefined {
  const path = join(dir, 'journal.jsonl');
  if (!existsSync(path)) return undefined;
  return PaperSession.lastBarInJournal(path);
}

/**
 * The sandbox of a paper session's agent: a JavaScript module (FILE.mjs) always runs in one; a checkpoint runs in
 * the tier its risk score (mode paper) and --tier give, in-process only at tier 0. Rule agents: null.
 */
async function sandboxedAgent(flags: PaperFlags, isRuleAgent: boolean, sessionId: string) {
  const requestedTier = flags.tier === undefined ? undefined : parseTier(flags.tier);
  if (isRuleAgent) {
    if (requestedTier !== undefined && requestedTier > 0) throw new RangeError(`--tier: '${flags.agent}' is a built-in rule agent and runs in-process`);
    return null;
  }
  const limits = parseSandboxLimits(
    flags.decisionTimeoutMs === undefined ? {} : { decisionTimeoutMs: parseNumberFlag(flags.decisionTimeoutMs, '--decision-timeout-ms', { atLeast: 1 }) },
    '--decision-timeout-ms',
  );
  const common = {
    ...(requestedTier === undefined ? {} : { requestedTier }),
    ...(flags.trustedKeys === undefined ? {} : { trustedKeysDir: flags.trustedKeys }),
    limits,
    mode: 'paper' as const,
    agentId: sessionId,
  };
  const note = (c: TierChoice, signed: boolean): string =>
    `Agent ran in sandbox tier ${c.tier} (floor ${c.floor}, risk score ${c.score}; ${signed ? 'signed by a trusted key' : 'unsigned'}).`;
  if (isModuleAgentSpec(flags.agent)) {
    const origin = flags.origin ?? 'local';
    if (origin !== 'local' && origin !== 'third-party') throw new RangeError(`--origin: a JavaScript agent is local or third-party, got '${origin}'`);
    const { agent, choice, signed } = await openSandboxedBacktestAgent({ spec: flags.agent, origin, seed: Number(flags.seed), ...common });
    return { module: agent, runner: null, note: note(choice, signed) };
  }
  const origin = flags.origin ?? 'own-checkpoint';
  if (origin !== 'own-checkpoint' && origin !== 'third-party') throw new RangeError(`--origin: a checkpoint is own-checkpoint or third-party, got '${origin}'`);
  const { choice, signed, runner } = await checkpointTier({ spec: flags.agent, origin, ...common });
  return { module: undefined, runner, note: note(choice, signed) };
}
