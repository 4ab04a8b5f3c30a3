/**
 * `live/`: the trading node. Feeds (replay, synthetic, ccxt) behind one `BarFeed` interface delivering
 * `Bars`; the paper venue and its journal; the session that runs an agent on a feed through `execution/`'s
 * chain with the kill-switch acting on it.
 */
export { type BarFeed, type FeedRuntime, type FeedTiming, FeedError, systemFeedRuntime } from './feed.js';
export {
  type FeedSpec,
  type CcxtFeedMode,
  DEFAULT_SYNTH_INTERVAL_MS,
  DEFAULT_REPLAY_SYMBOL,
  DEFAULT_SYNTH_SYMBOL,
  DEFAULT_POLL_DELAY_MS,
  parseFeedSpec,
  parseDurationMs,
} from './feed-spec.js';
export { type OpenFeedOptions, type OpenedFeed, openFeed } from './open-feed.js';
export { type CandleExchange, type CcxtFeedOptions, CcxtFeed } from './ccxt-feed.js';
export { SeriesFeed } from './series-feed.js';
export {
  type JournalRecord,
  type JournalFill,
  type JournalCancel,
  type JournalContents,
  JOURNAL_VERSION,
  Journal,
  JournalError,
  type JournaledOrder,
  readJournal,
  workingOrdersInJournal,
} from './journal.js';
export {
  type UnknownOrderAction,
  type ReconcileReport,
  type NodeVenueFigures,
  UNKNOWN_ORDER_ACTIONS,
  RECONCILE_ACTOR,
  describeReconcile,
} from './reconcile.js';
export { type PaperVenueOptions, type PaperBalances, type RestoreSummary, PaperVenue } from './paper-venue.js';
export { type PaperSessionOptions, type DecisionRow, PaperSession } from './session.js';
export { BarHistory } from './bar-history.js';
export { type SessionRecordInput, SESSION_FILES, sessionRecord, writeSessionFiles } from './session-files.js';
export { benchPaper } from './bench.js';
export { type LiveCheckpointAgent, loadLiveCheckpointAgent } from './checkpoint-agent.js';
