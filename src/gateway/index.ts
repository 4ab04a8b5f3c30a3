/** The gateway: the fastify service in front of the trading sessions (agent API, ops API, tokens, metrics). */
export { type GatewayOptions, type Gateway, buildGateway, defaultGatewayLogger, REDACT_PATHS } from './app.js';
export { type AuditTrail, type AuditTail, fileAuditTrail, memoryAuditTrail } from './audit-trail.js';
export {
  type ErrorCode,
  type GatewayCode,
  type ErrorBody,
  GATEWAY_REASONS,
  GatewayError,
  statusOf,
  describeCode,
  errorRegistry,
} from './errors.js';
export type {
  TradingDesk,
  OrderRequest,
  DecisionRequest,
  DeskOutcome,
  MaskView,
  PositionView,
  BalanceView,
  OpenOrderView,
  FillView,
} from './trading-desk.js';
export { type ChainDeskOptions, type DeskMarket, ChainDesk } from './chain-desk.js';
export { type GatewayServiceOptions, type GatewayService, createGatewayService } from './service.js';
export { type GatewayConfig, type LoadedGatewayConfig, gatewayConfigSchema, loadGatewayConfig } from './gateway-config.js';
export { type RunGatewayOptions, type RunningGateway, runGateway } from './run-gateway.js';
export { benchGateway } from './bench.js';
