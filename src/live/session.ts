/**
 * A paper session: one agent on one feed through `execution/`'s chain, against the journaled `PaperVenue`, with
 * the real kill-switch store (in-memory, or Redis shared with `bulwark kill` in other processes).
 *
 * Each bar, as a backtest takes it (`stepBar`, the same function): the venue matches what was decided at the
 * previous close at this bar's open (journaled with its fills), the account is marked at the close, the mask is
 * prepared; a trading-state change (a kill from anywhere) settles (a hard kill cancels everything and sends the
 * flattening order, which fills at the next price); then the agent proposes, unless the session is HALTED, and
 * the chain decides. Client order ids are `<session>-<decision seq>`, so a decision taken again after a
 * restart is refused by the venue as a duplicate, never sent twice.
 *
 * Start-up: the journal is replayed into the venue and the account, the feed resumes after the journal's last bar,
 * and the decision at that bar is taken again. Before that, reconcile (reconcile.ts) compares the journal with what
 * the venue reports; while they differ the session's agent scope is REDUCING (reason RECONCILE_MISMATCH), and a
 * re-check at each later price update returns it to ACTIVE once they agree (only if it was ACTIVE before).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Bars,
  type Clock,
  type Instrument,
  type TradingSession,
  FakeClock,
  describeTradingSession,
  isUtcSession,
  parseTradingSession,
  sameTradingDay,
} from '../core/index.js';
import { type Rules, auditLockListener, overLimitBits } from '../constraints/index.js';
import {
  AccountState,
  type Decision,
  DecisionChain,
  GatekeeperLink,
  compileChainRules,
  decisionReasonCodes,
  stepBar,
} from '../execution/index.js';
import type { Ledger } from '../core/index.js';
import {
  type GatekeeperConfig,
  type TradingState,
  type TradingStateStore,
  type OrderIntent,
  MemoryStateStore,
  applyOperatorChange,
  parseGatekeeperConfig,
  parseScope,
} from '../risk-gatekeeper/index.js';
import type { AuditSink } from '../security/index.js';
import { type AccountModel, type SimFillConfigInput, CASH_ACCOUNT, accountConfigOf, describeAccount, parseAccountConfig, parseSimFillConfig } from '../venues/index.js';
import {
  type AnyBacktestAgent,
  type RecorderContext,
  RunRecorder,
  isBoxAgent,
} from '../backtests/index.js';
import { BarHistory } from './bar-history.js';
import { writeSessionFiles } from './session-files.js';
import type { BarFeed } from './feed.js';
import {
  type JournalContents,
  type JournalRecord,
  Journal,
  JOURNAL_VERSION,
  decisionOrderId,
  readJournal,
  workingOrdersInJournal,
} from './journal.js';
import { type PaperBalances, PaperVenue, type PaperVenueOptions, type RestoreSummary } from './paper-venue.js';
import {
  type ReconcileReport,
  type UnknownOrderAction,
  RECONCILE_ACTOR,
  diffWithVenue,
  reconcileMatchedReason,
  reconcileReason,
  venueReport,
} from './reconcile.js';

export interface PaperSessionOptions {
  readonly sessionId: string;
  readonly dir: string;
  readonly feed: BarFeed;
  readonly instrument: Instrument;
  readonly agent: AnyBacktestAgent;
  readonly initialCash: number;
  /** The account the paper venue keeps (venues/account-model.ts); a spot cash account when absent. */
  readonly account?: AccountModel;
  readonly fill?: SimFillConfigInput;
  readonly rules?: Rules | null;
  /** Gatekeeper config (its defaults when null: a paper session always has Layer 3 and the kill-switch). */
  readonly risk?: GatekeeperConfig | null;
  /** The kill-switch store; an in-memory one when absent. */
  readonly store?: TradingStateStore;
  readonly audit: AuditSink;
  readonly seed?: number;
  /** Told about every decision, in order. */
  readonly onDecision?: (row: DecisionRow) => void;
  /** Told about every trading-state change. */
  readonly onStateChange?: (from: TradingState, to: TradingState, actor: string, reason: string) => void;
  /** Told, per bar, the ns from the bar's arrival to its decision (for `bench paper`; not measured when absent). */
  readonly onBarLatencyNs?: (ns: number) => void;
  /**
   * For learned agents: writes the observation of bar t (seeing the bars so far and the account) into `out`,
   * as a backtest's `observe` does.
   */
  readonly observe?: (t: number, bars: Bars, ledger: Ledger, out: Float32Array) => void;
  readonly obsDim?: number;
  /**
   * Write the session files (equity.csv, trades.csv, decisions.csv, metrics.json, report.html) into `dir`:
   * when the run ends, and every `everyBars` bars or `everyMs` of wall time (whichever comes first) before.
   * Absent: no files (the journal and audit log are the session's record).
   */
  readonly files?: { readonly everyBars?: number; readonly everyMs?: number };
  /** Told the paths each time the session files were written. */
  readonly onFilesWritten?: (paths: readonly string[]) => void;
  /** Working venue orders the journal does not know at start: cancelled (default) or adopted. */
  readonly unknownOrders?: UnknownOrderAction;
  /**
   * The venue port: by default a `PaperVenue` on the session's journal, rebuilt from it. A venue that holds its
   * account elsewhere plugs in here (built on `options`, which carry the session's journal); reconcile compares
   * what it reports with the journal before anything trades.
   */
  readonly openVenue?: (options: PaperVenueOptions) => PaperVenue;
  /** fsync the journal after every bar (default: for wall-clock feeds; a speed=max replay syncs every 4096 bars). */
  readonly syncEveryBar?: boolean;
}

/** One decision as the session reports it (`--json` prints these). */
export interface DecisionRow {
  readonly seq: number;
  readonly barTimeMs: number;
  readonly decisionTimeMs: number;
  readonly price: number;
  readonly state: TradingState;
  /** The chain's outcome, or `HALTED` when the session did not ask the agent (hard kill). */
  readonly outcome: Decision['outcome'] | 'HALTED';
  readonly reasons: readonly string[];
  readonly clientOrderId: string | null;
  readonly signedQty: number;
  readonly positionQty: number;
  readonly equity: number;
}

const REPLAY_SYNC_EVERY = 4096;

export class PaperSession {
  readonly sessionId: string;
  readonly venue: PaperVenue;
  readonly account: AccountState;
  readonly chain: DecisionChain;
  readonly gatekeeper: GatekeeperLink;
  readonly history = new BarHistory();
  readonly restored: RestoreSummary;
  /** What was cut off the journal's end on open, one line each (empty: it ended cleanly). */
  readonly journalRepairs: readonly string[];
  readonly journal: Journal;
  /** Decisions, equity, fills, trades and state changes, recorded as a backtest records them (the session files). */
  readonly recorder: RunRecorder;
  /** The last decision row (null before the first). */
  lastDecision: DecisionRow | null = null;
  private readonly options: PaperSessionOptions;
  private readonly feed: BarFeed;
  private readonly clock: Clock;
  private readonly fakeClock: FakeClock | null;
  private readonly ctx: RecorderContext;
  private seq = 0;
  private stopping = false;
  private barsSinceSync = 0;
  private redecided = false;
  private readonly store: TradingStateStore;
  /** The session made its own in-memory store (no `store` given): it restores the journal's states into it. */
  private readonly ownStore: boolean;
  /** Each scope's last state in the journal. */
  private readonly latched = new Map<string, { state: TradingState; actor: string; reason: string }>();
  private restoringLatch = false;
  private barsSinceFiles = 0;
  private filesWrittenAtMs = Date.now();
  /** The decision at the last bar was taken (journaled). */
  private decidedLast = false;
  private pauseUntil: Promise<unknown> | null = null;
  private reconcileReport: ReconcileReport | null = null;
  /** Reconcile found a difference and no re-check has matched yet. */
  private reconcilePending = false;
  /** Unknown venue orders reconcile cancelled: a re-check matches only once none of them is working. */
  private readonly reconcileCancels = new Set<string>();
  /** The agent scope was ACTIVE (or REDUCING by reconcile itself) when reconcile began: a match may resume it. */
  private reconcileMayResume = false;
  private reconcileEntered = false;

  private constructor(options: PaperSessionOptions, journal: Journal, contents: JournalContents) {
    this.options = options;
    this.journalRepairs = journalRepairs(contents);
    const records = contents.records;
    this.sessionId = options.sessionId;
    this.feed = options.feed;
    this.journal = journal;
    const { instrument, agent } = options;
    this.recorder = new RunRecorder(agent, 1024);
    const fill = parseSimFillConfig(options.fill ?? {}, 'fill (--fees-bps …)');
    const venueOptions: PaperVenueOptions = { instrument, fill, initialCash: options.initialCash, journal, account: options.account ?? CASH_ACCOUNT };
    this.venue = options.openVenue?.(venueOptions) ?? new PaperVenue(venueOptions);
    this.account = new AccountState(options.initialCash, instrument.symbol, instrument.session);
    this.fakeClock = options.feed.timing === 'bar-close' ? new FakeClock(0) : null;
    this.clock = this.fakeClock ?? options.feed.clock;
    const risk = options.risk ?? null;
    this.ownStore = options.store === undefined;
    this.store = options.store ?? new MemoryStateStore(this.clock);
    this.gatekeeper = new GatekeeperLink({
      config: sessionRisk(risk, options.feed.intervalMs),
      instrument,
      agentId: options.sessionId,
      audit: options.audit,
      venue: this.venue,
      clock: this.clock,
      store: this.store,
      onStateChange: (r) => {
        if (this.restoringLatch) return; // put back from the journal, where it already is
        const t = this.history.length - 1;
        this.recorder.recordStateChange(r.changedAtMs, r.previous, r.state, r.actor, r.reason);
        this.journal.append({ k: 'state', t, scope: r.scope, timeMs: r.changedAtMs, from: r.previous, to: r.state, actor: r.actor, reason: r.reason });
        options.onStateChange?.(r.previous, r.state, r.actor, r.reason);
      },
      clientOrderIds: () => decisionOrderId(this.sessionId, this.seq),
    });
    const box = isBoxAgent(agent) ? agent : null;
    const actions = box === null && !isBoxAgent(agent) ? agent.actions : [];
    this.chain = new DecisionChain({
      instrument,
      account: this.account,
      venue: this.venue,
      actionType: box === null ? 'discrete' : 'box',
      actions,
      ...(isBoxAgent(agent) ? { boxLow: agent.boxLow } : { sizing: agent.sizing }),
      rules: options.rules == null ? null : compileChainRules(options.rules, { ...(box === null ? { actions } : {}), fill, instrument }),
      onLockEvent: auditLockListener(options.audit),
      gatekeeper: this.gatekeeper,
      agentId: options.sessionId,
      audit: options.audit,
      listener: this.recorder.listener,
    });
    const obs = options.observe === undefined ? null : new Float32Array(options.obsDim ?? 0);
    this.ctx = { t: 0, bars: this.history.buffer, positionQty: 0, equity: options.initialCash, cash: options.initialCash, mask: this.chain.mask, obs };
    agent.reset(options.seed ?? 0);
    this.restored = this.replay(records);
    if (options.feed.timing === 'bar-close') journal.bufferChars = 1 << 16;
  }

  /** Opens (or resumes) the session in `options.dir`: the journal is replayed before anything trades. */
  static open(options: PaperSessionOptions): PaperSession {
    mkdirSync(options.dir, { recursive: true });
    const { journal, contents } = Journal.open(join(options.dir, 'journal.jsonl'));
    const first = contents.records[0];
    if (first === undefined) {
      journal.append({
        k: 'open',
        v: JOURNAL_VERSION,
        sessionId: options.sessionId,
        symbol: options.instrument.symbol,
        initialCash: options.initialCash,
        account: accountConfigOf(options.account ?? CASH_ACCOUNT),
        ...(isUtcSession(options.instrument.session) ? {} : { session: { ...(options.instrument.session as TradingSession) } }),
        feed: options.feed.spec,
        intervalMs: options.feed.intervalMs,
        startedAtMs: Date.now(),
      });
      journal.sync();
    } else if (first.k === 'open') {
      const problems: string[] = [];
      if (first.symbol !== options.instrument.symbol) problems.push(`symbol ${first.symbol}, not ${options.instrument.symbol}`);
      if (first.initialCash !== options.initialCash) problems.push(`--cash ${first.initialCash}, not ${options.initialCash}`);
      // A journal from before the account was recorded was a cash account (the only kind then).
      const journaled = parseAccountConfig(first.account ?? { type: 'cash' }, 'journal open record: account');
      const now = options.account ?? CASH_ACCOUNT;
      if (JSON.stringify(accountConfigOf(journaled)) !== JSON.stringify(accountConfigOf(now))) problems.push(`account ${describeAccount(journaled)}, not ${describeAccount(now)}`);
      // The trading day decides when the daily-loss lock and trades per day reset: a resumed session keeps its own.
      const journaledDay = first.session === undefined ? undefined : parseTradingSession(first.session, 'journal open record: session', 'session.');
      if (!sameTradingDay(journaledDay, options.instrument.session)) {
        problems.push(`trading day ${describeTradingSession(journaledDay)} (${sessionFlagsText(journaledDay)}), not ${describeTradingSession(options.instrument.session)}`);
      }
      if (first.intervalMs !== options.feed.intervalMs) problems.push(`bar interval ${first.intervalMs} ms, not ${options.feed.intervalMs} ms`);
      if (problems.length > 0) {
        journal.close();
        throw new RangeError(`--session ${options.dir}: this session was started with ${problems.join(', ')}; resume it with the same settings or choose a new --session`);
      }
    }
    const session = new PaperSession({ ...options, sessionId: first?.k === 'open' ? first.sessionId : options.sessionId }, journal, contents);
    options.audit.append('SESSION_STARTED', 'system', {
      session: session.sessionId,
      feed: options.feed.spec,
      restoredBars: session.restored.bars,
      restoredFills: session.restored.fills,
      adoptedOrders: session.restored.working,
      positionQty: session.venue.positionQty,
      journalRepairs: session.journalRepairs,
    });
    session.reconcileAtStart(contents.records, options.unknownOrders ?? 'cancel');
    return session;
  }

  /** Open time of the last bar a journal holds (a resumed feed starts after it), or undefined. */
  static lastBarInJournal(path: string): number | undefined {
    // Read only: the session's open repairs the file and reports what it cut.
    const records = readJournal(path, { repair: true, dryRun: true }).records;
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      if (r.k === 'bar') return r.t;
    }
    return undefined;
  }

  /** Open time of the last bar the session processed (the feed resumes after it), or undefined. */
  get lastBarTimeMs(): number | undefined {
    return this.history.length === 0 ? undefined : this.history.buffer.time[this.history.length - 1];
  }

  /** No bar within two intervals of the feed's clock: the gatekeeper refuses new risk (NO_TRUSTED_PRICE). */
  get stale(): boolean {
    const last = this.lastBarTimeMs;
    if (last === undefined || this.feed.timing === 'bar-close') return false;
    return this.clock.nowMs() - (last + this.feed.intervalMs) > 2 * this.feed.intervalMs;
  }

  get state(): TradingState {
    return this.gatekeeper.state();
  }

  balances(): PaperBalances {
    return this.venue.balances();
  }

  /** Runs until the feed ends or `stop()`; resolves once the last bar is journaled. */
  async run(): Promise<void> {
    const feed = this.feed;
    if (!this.redecided) {
      await this.restoreLatch();
      await this.enterReconcileState();
    }
    // The decision at the journal's last bar may not have been taken (or reached the venue): take it now. A
    // decision the journal holds was taken; its order, if any, is working (same id: never sent twice).
    if (this.history.length > 0 && !this.redecided) {
      this.redecided = true;
      if (!this.decidedLast && feed.ended !== true) await this.decideAt(this.history.length - 1);
    }
    while (!this.stopping) {
      const bars = await feed.next();
      if (bars === null) break;
      for (let i = 0; i < bars.length && !this.stopping; i++) {
        if (this.pauseUntil !== null) {
          const p = this.pauseUntil;
          this.pauseUntil = null;
          await p;
        }
        const timing = this.options.onBarLatencyNs;
        const started = timing === undefined ? 0n : process.hrtime.bigint();
        // The last bar of a finite feed: nothing decided there could fill (a backtest decides nothing there either).
        const last = i === bars.length - 1 && feed.ended === true;
        await this.onBar(bars.time[i], bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i], !last);
        if (timing !== undefined) timing(Number(process.hrtime.bigint() - started));
        if (this.filesDue()) await this.writeFiles();
      }
    }
    this.journal.sync();
    if (this.options.files !== undefined) await this.writeFiles();
  }

  /**
   * The kill-switch across a restart. The session's own in-memory store starts ACTIVE, so the states the journal
   * recorded are put back (a session hard-killed before a crash starts HALTED). A shared store (Redis) is the
   * authority: a healthy one is followed as it is (an operator may have resumed meanwhile) and a store that lost
   * its state, or was never restored, stays UNKNOWN and refuses every order until `bulwark kill restore`.
   */
  private async restoreLatch(): Promise<void> {
    if (!this.ownStore || this.latched.size === 0) return;
    this.restoringLatch = true;
    try {
      for (const [scope, { state, actor, reason }] of this.latched) {
        if (state === 'ACTIVE') continue;
        await this.store.set({ scope: parseScope(scope), state, actor, reason: `restored from the session journal (${reason})` });
      }
      this.gatekeeper.update(this.decisionTimeMs(), this.account.price, this.account);
      await this.gatekeeper.settle();
    } finally {
      this.restoringLatch = false;
    }
  }

  /** What reconcile at start found and did (null before `open` returns). */
  get reconcile(): ReconcileReport | null {
    return this.reconcileReport;
  }

  /** Reconcile found a difference that no re-check has cleared yet (the session trades REDUCING). */
  get reconciling(): boolean {
    return this.reconcilePending;
  }

  /**
   * Compares the journal (the node's record) with the venue's report and acts on each difference: unknown venue
   * orders cancelled or adopted (a journal line either way), orders the venue does not know marked lost (a journal
   * cancel line, reason RECONCILE_LOST), position and cash differences reported. Audited as RECONCILE_MISMATCH.
   */
  private reconcileAtStart(records: readonly JournalRecord[], action: UnknownOrderAction): void {
    const working = workingOrdersInJournal(records);
    const symbol = this.options.instrument.symbol;
    const diff = diffWithVenue(
      { workingOrderIds: new Set(working.keys()), positionQty: this.account.positionQty, cash: this.account.cash },
      venueReport(this.venue, symbol, this.venue.balances().cash),
    );
    const adopted: string[] = [];
    const cancelled: string[] = [];
    const timeMs = this.decisionTimeMs();
    for (const o of diff.unknown) {
      const id = o.order.clientOrderId;
      if (action === 'adopt') {
        // seq −1: not sequenced by this session's venue (the journal keeps one line per client order id).
        this.journal.append({ k: 'order', order: o.order, qty: o.quantity, seq: -1 });
        adopted.push(id);
      } else {
        this.venue.cancel(id, timeMs);
        this.reconcileCancels.add(id);
        cancelled.push(id);
      }
    }
    if (diff.lost.length > 0) {
      const cancels = diff.lost.map((id) => {
        const o = working.get(id);
        return { clientOrderId: id, reason: 'RECONCILE_LOST', remainingQty: o === undefined ? 0 : o.qty - o.filledQty };
      });
      this.journal.append({ k: 'cancel', timeMs, cancels });
    }
    const matched = diff.unknown.length === 0 && diff.lost.length === 0 && diff.position === null && diff.cash === null;
    const report: ReconcileReport = { unknownOrders: action, adopted, cancelled, lost: diff.lost, position: diff.position, cash: diff.cash, matched };
    this.reconcileReport = report;
    this.reconcilePending = !matched;
    this.journal.sync();
    if (matched) return;
    this.options.audit.append('RECONCILE_MISMATCH', RECONCILE_ACTOR, {
      session: this.sessionId,
      unknownOrders: action,
      adopted,
      cancelled,
      lost: diff.lost,
      position: diff.position,
      cash: diff.cash,
    });
  }

  /** The kill-switch scope reconcile acts on: this session's agent (an operator's global kill is never touched). */
  private get reconcileScope() {
    return parseScope(`agent:${this.sessionId}`);
  }

  /**
   * A mismatch: the agent scope goes REDUCING (only a tightening; an operator's or trigger's stricter state stays).
   * A clean start that finds reconcile's own REDUCING from an earlier run (a shared store) takes it back.
   */
  private async enterReconcileState(): Promise<void> {
    const report = this.reconcileReport;
    if (report === null || this.reconcileEntered) return;
    this.reconcileEntered = true;
    const scope = this.reconcileScope;
    const held = this.store.cache.record(scope);
    const ours = held !== undefined && held.actor === RECONCILE_ACTOR && held.state === 'REDUCING';
    const current = this.store.cache.stateOf(scope);
    this.reconcileMayResume = current === 'ACTIVE' || ours;
    if (report.matched) {
      if (ours) await this.resumeFromReconcile(-1);
      return;
    }
    if (current === 'ACTIVE') {
      await applyOperatorChange(
        this.store,
        this.options.audit,
        { scope, state: 'REDUCING', actor: RECONCILE_ACTOR, reason: reconcileReason(report) },
        { recordChanged: false, tightenOnly: true },
      );
    }
    await this.gatekeeper.settle();
  }

  /** At a price update while reconcile is pending: do the venue and the account agree now? */
  private async recheckReconcile(t: number): Promise<void> {
    const report = venueReport(this.venue, this.options.instrument.symbol, this.venue.balances().cash);
    const stillWorking = report.openOrders.some((o) => this.reconcileCancels.has(o.order.clientOrderId));
    const diff = diffWithVenue(
      { workingOrderIds: new Set(report.openOrders.map((o) => o.order.clientOrderId)), positionQty: this.account.positionQty, cash: this.account.cash },
      report,
    );
    if (stillWorking || diff.position !== null || diff.cash !== null) return;
    this.reconcilePending = false;
    await this.resumeFromReconcile(t);
  }

  /** The re-check matched: audited; the agent scope back to ACTIVE if reconcile put it at REDUCING and nobody changed it since. */
  private async resumeFromReconcile(t: number): Promise<void> {
    const scope = this.reconcileScope;
    const held = this.store.cache.record(scope);
    const resumed = this.reconcileMayResume && held !== undefined && held.actor === RECONCILE_ACTOR && held.state === 'REDUCING';
    this.options.audit.append('RECONCILE_MATCHED', RECONCILE_ACTOR, { session: this.sessionId, bar: t, resumed });
    if (!resumed) return;
    await applyOperatorChange(
      this.store,
      this.options.audit,
      { scope, state: 'ACTIVE', actor: RECONCILE_ACTOR, reason: reconcileMatchedReason(t) },
      { recordChanged: false },
    );
    await this.gatekeeper.settle();
  }

  /** What the session's kill-switch store says at start (a line for the operator), or null when all is well. */
  storeProblem(): string | null {
    const health = this.store.health(Date.now());
    if (health === 'OK') return null;
    return `kill-switch store ${health}: ${this.store.healthProblem()}; every order is refused (fail closed) until it is restored (bulwark kill restore --redis URL)`;
  }

  /**
   * Writes the session files into the session directory now (each file atomically: temp file, rename); returns
   * their paths (none before the first bar).
   */
  async writeFiles(): Promise<string[]> {
    const o = this.options;
    this.barsSinceFiles = 0;
    this.filesWrittenAtMs = Date.now();
    const paths = await writeSessionFiles(o.dir, {
      sessionId: this.sessionId,
      feedSpec: this.feed.spec,
      bars: this.history.bars,
      intervalMs: this.feed.intervalMs,
      recorder: this.recorder,
      feesPaid: this.account.ledger.feesPaid,
      agent: o.agent,
      seed: o.seed ?? 0,
      instrument: o.instrument,
      initialCash: o.initialCash,
      fill: o.fill ?? {},
      rules: o.rules ?? null,
      risk: o.risk ?? null,
    });
    if (paths.length > 0) o.onFilesWritten?.(paths);
    return paths;
  }

  private filesDue(): boolean {
    const every = this.options.files;
    if (every === undefined) return false;
    this.barsSinceFiles++;
    if (every.everyBars !== undefined && this.barsSinceFiles >= every.everyBars) return true;
    return every.everyMs !== undefined && Date.now() - this.filesWrittenAtMs >= every.everyMs;
  }

  /**
   * An order intent from outside the agent (the gateway, an operator): through the gatekeeper, then the venue;
   * it fills at the next bar like any other. Returns the chain's verdict: null when sent, else the reasons.
   */
  submitIntent(order: OrderIntent): string[] | null {
    const price = this.account.price;
    this.gatekeeper.update(this.decisionTimeMs(), price, this.account);
    const rejections = this.gatekeeper.check({ ...order, referencePrice: order.referencePrice ?? price });
    if (rejections !== null) return rejections.map((r) => r.code);
    const result = this.venue.submit(order);
    return result.accepted ? null : [result.reason];
  }

  /** Holds the run loop before its next bar until `until` settles (an operator step that must land between bars). */
  pause(until: Promise<unknown>): void {
    const previous = this.pauseUntil;
    this.pauseUntil = (previous === null ? until : Promise.all([previous, until])).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Stops the run loop and the feed; open orders are cancelled (`cancel`) or left working (`keep`). */
  stop(onStop: 'cancel' | 'keep' = 'cancel'): void {
    this.stopping = true;
    this.feed.close();
    if (onStop === 'cancel') this.venue.cancelAll(this.decisionTimeMs());
    this.journal.sync();
  }

  close(): void {
    this.gatekeeper.dispose();
    this.journal.close();
  }

  // -- one bar --

  private async onBar(time: number, open: number, high: number, low: number, close: number, volume: number, decide: boolean): Promise<void> {
    const intervalMs = this.feed.intervalMs;
    const t = this.history.push(time, open, high, low, close, volume);
    const bars = this.history.buffer;
    this.ctx.bars = bars;
    this.recorder.beginBar(t, time);
    if (t === 0) {
      this.account.reset(time + intervalMs, close);
      this.chain.barIndex = 0;
      this.chain.prepare();
      this.venue.onBar(barOf(bars, 0)); // journals the first bar (nothing can be working yet)
    } else stepBar(this.chain, this.venue, bars, t, intervalMs);
    this.recorder.markBar(this.account.equity, this.account.positionQty);
    if (this.chain.rules !== null) this.recorder.countOverLimit(overLimitBits(this.account, this.chain.rules));
    this.decidedLast = false;
    this.syncJournal();
    if (this.reconcilePending) await this.recheckReconcile(t);
    if (decide) await this.decideAt(t);
    else this.recorder.recordFinalState(t, this.gatekeeper.state());
  }

  private async decideAt(t: number): Promise<void> {
    const bars = this.history.buffer;
    const decisionMs = bars.time[t] + this.feed.intervalMs;
    this.fakeClock?.set(decisionMs);
    const gk = this.gatekeeper;
    gk.update(decisionMs, this.account.price, this.account);
    if (gk.pendingChange) await gk.settle();
    this.seq = t;
    const state = gk.state();
    // The order line and the decision line reach the file in one write: a kill -9 leaves both or neither.
    const journal = this.journal;
    const buffered = journal.bufferChars;
    journal.bufferChars = Number.POSITIVE_INFINITY;
    let decision: Decision | null = null;
    try {
      if (state === 'HALTED') this.recorder.recordSkipped(this.chain, t, state);
      else {
        const ctx = this.ctx;
        ctx.t = t;
        ctx.positionQty = this.account.positionQty;
        ctx.equity = this.account.equity;
        ctx.cash = this.account.cash;
        if (ctx.obs !== null) this.options.observe?.(t, bars, this.account.ledger, ctx.obs);
        decision = this.recorder.decide(this.chain, ctx, decisionMs, state);
      }
      const order = decision !== null && decision.outcome === 'SUBMITTED' ? decision.order.clientOrderId : null;
      journal.append({ k: 'decision', t, d: this.recorder.exportDecision(t, order) });
    } finally {
      journal.bufferChars = buffered;
      if (buffered === 0) journal.flush();
    }
    this.decidedLast = true;
    this.report(t, decisionMs, state, decision);
    // A sandboxed agent that was stopped (crash, malformed frame, broken limit, too many late answers): the
    // sandbox audited it; the session goes REDUCING, as a soft kill by the supervisor.
    const fault = this.options.agent.takeFault?.() ?? null;
    if (fault !== null) await gk.operate('soft_kill', 'sandbox-supervisor', `agent stopped: ${fault}`);
    if (gk.pendingChange) await gk.settle();
  }

  private report(t: number, decisionMs: number, state: TradingState, d: Decision | null): void {
    const row: DecisionRow = {
      seq: t,
      barTimeMs: this.history.buffer.time[t],
      decisionTimeMs: decisionMs,
      price: this.account.price,
      state,
      outcome: d === null ? 'HALTED' : d.outcome,
      reasons: d === null ? [] : decisionReasonCodes(d),
      clientOrderId: d !== null && d.outcome === 'SUBMITTED' ? d.order.clientOrderId : null,
      signedQty: d !== null && d.outcome !== 'NO_ORDER' && d.outcome !== 'MASKED' ? d.signedQty : 0,
      positionQty: this.account.positionQty,
      equity: this.account.equity,
    };
    this.lastDecision = row;
    this.options.onDecision?.(row);
  }

  private syncJournal(): void {
    const everyBar = this.options.syncEveryBar ?? this.feed.timing === 'wall';
    if (everyBar || ++this.barsSinceSync >= REPLAY_SYNC_EVERY) {
      this.journal.sync();
      this.barsSinceSync = 0;
    }
  }

  private decisionTimeMs(): number {
    const n = this.history.length;
    return n === 0 ? this.clock.nowMs() : this.history.buffer.time[n - 1] + this.feed.intervalMs;
  }

  /**
   * Rebuilds venue, account, bar history, locks and the run's record (decisions, fills, trades, state changes)
   * from the journal (no audit events: they were written then). The agent is shown each journaled decision again
   * (its proposal discarded), so a seeded agent goes on with the same sequence as an uninterrupted session.
   */
  private replay(records: readonly JournalRecord[]): RestoreSummary {
    const summary = this.venue.restore(records);
    const intervalMs = this.feed.intervalMs;
    const recorder = this.recorder;
    const symbol = this.options.instrument.symbol;
    let t = -1;
    for (const r of records) {
      if (r.k === 'decision') {
        if (r.t !== t) throw new RangeError(`journal: a decision for bar ${r.t} follows bar ${t}`);
        recorder.importDecision(t, r.d);
        this.replayAgent(t, r.d.proposed >= 0 || (r.d.target !== null && r.d.target[0] !== null));
        this.decidedLast = true;
        continue;
      }
      if (r.k === 'state') {
        recorder.recordStateChange(r.timeMs, r.from, r.to, r.actor, r.reason);
        // Reconcile's own REDUCING is not put back: reconcile runs again at start and decides afresh.
        if (r.actor === RECONCILE_ACTOR) this.latched.delete(r.scope);
        else this.latched.set(r.scope, { state: r.to, actor: r.actor, reason: r.reason });
        continue;
      }
      if (r.k !== 'bar') continue;
      t = this.history.push(r.t, r.o, r.h, r.l, r.c, r.v);
      this.ctx.bars = this.history.buffer;
      recorder.beginBar(t, r.t);
      if (t === 0) this.account.reset(r.t + intervalMs, r.c);
      else {
        this.account.startBar();
        for (const f of r.fills) {
          const signed = f.side === 'BUY' ? f.qty : -f.qty;
          this.account.applyFill(signed, f.price, f.fee, r.t);
          recorder.listener.onFill?.(
            { clientOrderId: f.clientOrderId, symbol, side: f.side, quantity: f.qty, price: f.price, fee: f.fee, liquidity: f.liquidity, timeMs: r.t },
            signed,
          );
        }
        for (const c of r.cancels) recorder.listener.onVenueRefusal?.(c.clientOrderId, c.reason as never, c.remainingQty);
        this.account.mark(r.c, r.t + intervalMs);
      }
      recorder.markBar(this.account.equity, this.account.positionQty);
      if (this.chain.rules !== null) recorder.countOverLimit(overLimitBits(this.account, this.chain.rules));
      this.chain.barIndex = t;
      this.chain.prepare();
      this.decidedLast = false;
    }
    return summary;
  }

  /** The agent proposes again at journaled bar `t` (a seeded agent's generator moves on); nothing is sent. */
  private replayAgent(t: number, asked: boolean): void {
    if (!asked) return;
    const ctx = this.ctx;
    ctx.t = t;
    ctx.positionQty = this.account.positionQty;
    ctx.equity = this.account.equity;
    ctx.cash = this.account.cash;
    const agent = this.options.agent;
    if (ctx.obs !== null) this.options.observe?.(t, this.history.buffer, this.account.ledger, ctx.obs);
    if (isBoxAgent(agent)) agent.target(ctx);
    else agent.act(ctx);
  }
}

function journalRepairs(c: JournalContents): string[] {
  const out: string[] = [];
  if (c.tornSavedTo !== null) out.push(`journal: a torn last line (${c.tornBytes} bytes, a crash mid-write) was cut off and kept in ${c.tornSavedTo}`);
  if (c.uncommittedSavedTo !== null) {
    out.push(`journal: the order ${c.uncommittedOrder ?? ''} was journaled without its decision line (a crash between them): cut off, kept in ${c.uncommittedSavedTo}; the decision is taken again`);
  }
  return out;
}

function barOf(bars: Bars, i: number): { time: number; open: number; high: number; low: number; close: number; volume: number } {
  return { time: bars.time[i], open: bars.open[i], high: bars.high[i], low: bars.low[i], close: bars.close[i], volume: bars.volume[i] };
}

/**
 * The session's gatekeeper config: price and account freshness are the feed's staleness rule — a bar's close is
 * fresh for two bar intervals of the feed's clock, after which the gatekeeper refuses new risk (NO_TRUSTED_PRICE).
 * (A fixed number of seconds would be wrong both ways: too short for hourly bars, too long for a 1 s feed.)
 */
function sessionRisk(risk: GatekeeperConfig | null, intervalMs: number): GatekeeperConfig {
  const staleSec = (2 * intervalMs) / 1000;
  const config = risk ?? parseGatekeeperConfig({}, 'default gatekeeper config');
  return { ...config, maxPriceAgeSec: staleSec, maxAccountAgeSec: staleSec };
}

/** The flags that give a session (`--day-start 17:00 --timezone America/New_York`, or `no --day-start/--timezone` for UTC days). */
function sessionFlagsText(session: TradingSession | undefined): string {
  return isUtcSession(session) || session === undefined ? 'no --day-start/--timezone' : `--day-start ${session.dayStartsAt} --timezone ${session.timezone}`;
}
