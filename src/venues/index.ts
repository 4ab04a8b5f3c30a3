export {
  type ImpactModel,
  type SimFillConfig,
  type SimFillConfigInput,
  type CompiledSimFill,
  simFillConfigSchema,
  parseSimFillConfig,
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
  worstCaseFillPrice,
} from './fill-model.js';
export {
  SimVenue,
  type SimVenueOptions,
  type SubmitResult,
  type VenueEvent,
  type VenueRejectReason,
  type VenueCancelReason,
  type OpenOrder,
} from './sim-venue.js';
export { type FundingRateSource, fundingPayment } from './funding.js';
