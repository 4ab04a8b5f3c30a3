/**
 * The token check in front of every agent and ops route: a bearer token, verified (cached per token), of the
 * route's role, granting the route's tool, in the gateway's mode. It runs before the body is read, so an
 * unauthenticated request costs no parsing.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { type CapabilityGrant, type TokenRole, type Tool, type TradingMode, TokenError, type TokenVerifier, grantsSymbol } from '../security/index.js';
import { GatewayError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified grant of the request's token (null before the check or on routes without one). */
    grant: CapabilityGrant | null;
    /** The reason code the request was refused with, for the audit record and metrics. */
    refusalCode: string | null;
  }
}

export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header === '') throw new GatewayError('TOKEN_MISSING', 'Authorization: Bearer <token> is required');
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (match === null) throw new GatewayError('TOKEN_MALFORMED', 'Authorization: must be "Bearer <token>"');
  return match[1];
}

export interface AuthOptions {
  readonly verifier: TokenVerifier;
  readonly mode: TradingMode;
}

/** An onRequest hook admitting only tokens of `role` that grant `tool`. */
export function requireGrant(options: AuthOptions, role: TokenRole, tool: Tool): onRequestAsyncHookHandler {
  return async (request) => {
    let grant: CapabilityGrant;
    try {
      grant = await options.verifier.verify(bearerToken(request));
    } catch (err) {
      if (err instanceof TokenError) throw new GatewayError(err.code, err.message);
      throw err;
    }
    request.grant = grant;
    if (grant.role !== role) throw new GatewayError('ROLE_FORBIDDEN', `${grant.role === 'agent' ? 'an agent' : 'an ops'} token cannot call ${role} routes`);
    if (!grant.tools.has(tool)) throw new GatewayError('TOOL_NOT_GRANTED', `token ${grant.jti} does not grant ${tool}`);
    if (grant.mode !== options.mode) throw new GatewayError('MODE_MISMATCH', `token is for ${grant.mode}, this gateway trades ${options.mode}`);
  };
}

/** The grant of a request that passed `requireGrant` (a bug otherwise). */
export function grantOf(request: FastifyRequest): CapabilityGrant {
  if (request.grant === null) throw new Error('gateway: a route that needs a grant was registered without requireGrant');
  return request.grant;
}

/** Refuses a symbol the token does not name and a body naming another agent. */
export function checkSymbolAndAgent(grant: CapabilityGrant, symbol: string | undefined, bodyAgentId: string | undefined): void {
  if (bodyAgentId !== undefined && bodyAgentId !== grant.subject) {
    throw new GatewayError('AGENT_MISMATCH', `agentId: the token is agent ${grant.subject}'s, the body names ${bodyAgentId}`);
  }
  if (symbol !== undefined && !grantsSymbol(grant, symbol)) throw new GatewayError('SYMBOL_NOT_GRANTED', `symbol ${symbol} is not granted to token ${grant.jti}`);
}
