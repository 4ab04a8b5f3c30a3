/**
 * One gateway process: the verifier over the home's issuer keys, the revocation list, the operators'
 * kill-switch on the shared state store, and the fastify app over a trading desk. `bulwark gateway`, the
 * benchmark and the tests all assemble it here.
 */
import type { KeyObject } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock, Instrument } from '../core/index.js';
import { type GatekeeperConfig, KillSwitch, RiskGatekeeper, type TradingStateStore } from '../risk-gatekeeper/index.js';
import { type RevocationList, TokenVerifier, type TradingMode } from '../security/index.js';
import { type Gateway, buildGateway } from './app.js';
import type { AuditTrail } from './audit-trail.js';
import type { TradingDesk } from './trading-desk.js';

export interface GatewayServiceOptions {
  readonly desk: TradingDesk;
  readonly instruments: readonly Instrument[];
  readonly store: TradingStateStore;
  readonly revocations: RevocationList;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  readonly mode: TradingMode;
  readonly gatekeeper: GatekeeperConfig;
  readonly publicKeys: { readonly agent?: KeyObject; readonly ops?: KeyObject };
  readonly agentIssuerKey?: KeyObject;
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number };
  readonly rateLimitRedis?: Redis;
  readonly bodyLimitBytes?: number;
  readonly logger?: Logger;
  readonly processMetrics?: boolean;
  /** Refuse every order for this reason (the audit log did not verify at start). */
  readonly refuseOrders?: string;
}

export interface GatewayService extends Gateway {
  readonly verifier: TokenVerifier;
  readonly killSwitch: KillSwitch;
  close(): Promise<void>;
}

export async function createGatewayService(o: GatewayServiceOptions): Promise<GatewayService> {
  const verifier = new TokenVerifier({ publicKeys: o.publicKeys, revocations: o.revocations, clock: o.clock });
  // The operators' kill-switch: it flips states in the shared store; each session's own kill-switch, subscribed
  // to the same store, cancels and flattens on its venue.
  const gatekeeper = new RiskGatekeeper({ config: o.gatekeeper, instruments: o.instruments, store: o.store, clock: o.clock, audit: o.audit.sink });
  const killSwitch = new KillSwitch({ store: o.store, gatekeeper, audit: o.audit.sink });
  const gateway = await buildGateway({
    desk: o.desk,
    store: o.store,
    killSwitch,
    verifier,
    revocations: o.revocations,
    audit: o.audit,
    clock: o.clock,
    mode: o.mode,
    agentIssuerKey: o.agentIssuerKey,
    rateLimit: o.rateLimit,
    rateLimitRedis: o.rateLimitRedis,
    bodyLimitBytes: o.bodyLimitBytes,
    logger: o.logger,
    processMetrics: o.processMetrics,
    refuseOrders: o.refuseOrders,
  });
  return {
    ...gateway,
    verifier,
    killSwitch,
    async close() {
      await gateway.app.close();
      killSwitch.dispose();
      gatekeeper.dispose();
      await o.desk.close();
    },
  };
}
