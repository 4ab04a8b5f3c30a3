/**
 * What a capability token grants: who (agent or operator), which tools (routes), which symbols, how much
 * notional per order, in which mode, for how long. Agent and ops tokens are different roles signed by
 * different issuer keys; an agent token can never carry an ops tool.
 */
import { z } from 'zod';

export type TokenRole = 'agent' | 'ops';
export type TradingMode = 'paper' | 'testnet' | 'live';
export const TRADING_MODES: readonly TradingMode[] = ['paper', 'testnet', 'live'];

/** Tools an agent token may carry: one per agent route. */
export const AGENT_TOOLS = [
  'orders.submit',
  'orders.cancel',
  'orders.read',
  'decisions.submit',
  'mask.read',
  'positions.read',
  'balances.read',
  'fills.read',
  'state.read',
] as const;

/** Tools an ops token may carry: one per ops route group. */
export const OPS_TOOLS = ['ops.kill', 'ops.resume', 'ops.status', 'ops.release', 'ops.audit', 'ops.tokens'] as const;

export type AgentTool = (typeof AGENT_TOOLS)[number];
export type OpsTool = (typeof OPS_TOOLS)[number];
export type Tool = AgentTool | OpsTool;

export function toolsOfRole(role: TokenRole): readonly Tool[] {
  return role === 'agent' ? AGENT_TOOLS : OPS_TOOLS;
}

/** `iss` of each role: a token names its issuer and is checked with that issuer's key only. */
export const TOKEN_ISSUERS: Readonly<Record<TokenRole, string>> = { agent: 'bulwark:agent-issuer', ops: 'bulwark:ops-issuer' };
export const TOKEN_AUDIENCE = 'bulwark-gateway';

export const DEFAULT_TOKEN_TTL_SEC = 300;
export const MAX_TOKEN_TTL_SEC = 3600;

/** The verified grant a request carries. Times in ms since epoch. */
export interface CapabilityGrant {
  readonly role: TokenRole;
  /** Agent id (agent tokens) or operator id (ops tokens): the token's `sub`. */
  readonly subject: string;
  readonly jti: string;
  readonly tools: ReadonlySet<Tool>;
  /** Symbols the token may trade; `*` in the token grants every symbol. */
  readonly symbols: ReadonlySet<string> | 'ALL';
  /** Largest notional (quote currency) of one order; Infinity for ops tokens. */
  readonly notionalCap: number;
  readonly mode: TradingMode;
  readonly issuedAtMs: number;
  readonly notBeforeMs: number;
  readonly expiresAtMs: number;
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;
export const subjectSchema = z.string().regex(idPattern, 'must be 1-64 letters, digits or ._:@- (starting with a letter or digit)');
const symbolSchema = z.string().min(1).max(32).regex(/^[A-Za-z0-9._/:-]+$|^\*$/, 'must be a symbol such as BTC/USDT, or *');

/** The claims a token carries besides the registered ones (iss, sub, aud, jti, iat, nbf, exp). */
export const capabilityClaimsSchema = z
  .object({
    role: z.enum(['agent', 'ops']),
    tools: z.array(z.enum([...AGENT_TOOLS, ...OPS_TOOLS])).min(1),
    symbols: z.array(symbolSchema),
    notional_cap: z.number().positive().finite().optional(),
    mode: z.enum(['paper', 'testnet', 'live']),
  })
  .superRefine((c, ctx) => {
    const allowed = new Set<string>(toolsOfRole(c.role));
    for (const tool of c.tools) {
      if (!allowed.has(tool)) ctx.addIssue({ code: 'custom', path: ['tools'], message: `${tool} is not a tool of a ${c.role} token` });
    }
    if (c.role === 'agent' && c.symbols.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['symbols'], message: 'an agent token must name at least one symbol (or *)' });
    }
    if (c.role === 'agent' && c.notional_cap === undefined) {
      ctx.addIssue({ code: 'custom', path: ['notional_cap'], message: 'an agent token must carry a notional cap' });
    }
  });

export type CapabilityClaims = z.infer<typeof capabilityClaimsSchema>;

export function grantsSymbol(grant: CapabilityGrant, symbol: string): boolean {
  return grant.symbols === 'ALL' || grant.symbols.has(symbol);
}
