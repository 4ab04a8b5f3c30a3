export {
  type ImpactModel,
  type SimFillConfig,
  type SimFillConfigInput,
  type CompiledSimFill,
  simFillConfigSchema,
  parseSimFillConfig,
  SIM_FILL_DEFAULTS,
  compileSimFill,
} from './sim-config.js';
export {
  FillStatus,
  type FillStatusCode,
  type FillStatusName,
  fillStatusName,
  FillResult,
  TAKER,
  MAKER,
  fillMarketOrderInto,
  fillLimitOrderInto,
  slippageBoundFraction,
  fillQuoteOrderInto,
  worstCaseFillPrice,
} from './fill-model.js';
export {
  type ExecutionVenue,
  type SubmitResult,
  type VenueEvent,
  type VenueRejectReason,
  type VenueCancelReason,
  type OpenOrder,
  type VenuePositionRecord,
  type SequencedFill,
} from './venue.js';
export { SimVenue, type SimVenueOptions } from './sim-venue.js';
export { type FundingRateSource, fundingPayment } from './funding.js';
export {
  type AccountType,
  type AccountConfigInput,
  type AccountModel,
  ACCOUNT_TYPES,
  CASH_ACCOUNT,
  accountConfigSchema,
  parseAccountConfig,
  accountConfigOf,
  accountWithOverrides,
  describeAccount,
} from './account-model.js';
