/**
 * `bulwark token issue --role agent|ops …`: prints a capability token signed by the role's issuer key in the
 * home directory (made on first use, mode 0600). `bulwark token keys` prints where the keys are.
 */
import type { Command } from 'commander';
import { systemClock } from '../../core/index.js';
import {
  AGENT_TOOLS,
  DEFAULT_TOKEN_TTL_SEC,
  MAX_TOKEN_TTL_SEC,
  OPS_TOOLS,
  TRADING_MODES,
  type TokenRole,
  type Tool,
  type TradingMode,
  ensureTokenKeys,
  issueCapabilityToken,
  loadTokenSigningKey,
  resolveBulwarkHome,
  toolsOfRole,
} from '../../security/index.js';
import { parseNumberFlag, parseWholeNumberFlag } from '../flags.js';

interface IssueOptions {
  role: string;
  subject?: string;
  agent?: string;
  tools?: string;
  symbols?: string;
  notionalCap?: string;
  mode: string;
  ttl: string;
  home?: string;
  json: boolean;
}

function listFlag(text: string | undefined): string[] {
  return text === undefined ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function parseRole(text: string): TokenRole {
  if (text !== 'agent' && text !== 'ops') throw new Error(`--role: must be agent or ops, got '${text}'`);
  return text;
}

function parseMode(text: string): TradingMode {
  const mode = TRADING_MODES.find((m) => m === text);
  if (mode === undefined) throw new Error(`--mode: must be one of ${TRADING_MODES.join(', ')}, got '${text}'`);
  return mode;
}

function parseTools(text: string | undefined, role: TokenRole): Tool[] {
  const allowed = toolsOfRole(role);
  if (text === undefined || text === 'all') return [...allowed];
  return listFlag(text).map((name) => {
    const tool = allowed.find((t) => t === name);
    if (tool === undefined) throw new Error(`--tools: '${name}' is not a tool of a ${role} token; choose from ${allowed.join(', ')}`);
    return tool;
  });
}

async function issue(opts: IssueOptions): Promise<void> {
  const role = parseRole(opts.role);
  const subject = opts.subject ?? opts.agent;
  if (subject === undefined) throw new Error(`--subject: required (the ${role === 'agent' ? 'agent' : 'operator'} id the token is for)`);
  const symbols = listFlag(opts.symbols);
  if (role === 'agent' && symbols.length === 0) throw new Error('--symbols: an agent token needs at least one symbol (or *)');
  const notionalCap = opts.notionalCap === undefined ? undefined : parseNumberFlag(opts.notionalCap, '--notional-cap', { above: 0 });
  if (role === 'agent' && notionalCap === undefined) throw new Error('--notional-cap: required for an agent token (largest order value, quote currency)');
  const ttlSec = parseWholeNumberFlag(opts.ttl, '--ttl', 1);
  if (ttlSec > MAX_TOKEN_TTL_SEC) throw new Error(`--ttl: at most ${MAX_TOKEN_TTL_SEC} s, got ${ttlSec}`);
  const home = resolveBulwarkHome(opts.home);
  const keys = ensureTokenKeys(home, role);
  if (keys.created) process.stderr.write(`made the ${role} token issuer key: ${keys.privateKeyPath} (mode 0600)\n`);
  const issued = await issueCapabilityToken(
    { role, subject, tools: parseTools(opts.tools, role), symbols, notionalCap, mode: parseMode(opts.mode), ttlSec },
    loadTokenSigningKey(home, role),
    systemClock,
  );
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ token: issued.token, jti: issued.jti, expiresAt: new Date(issued.expiresAtMs).toISOString() })}\n`);
  } else {
    process.stdout.write(`${issued.token}\n`);
  }
}

export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('capability tokens for the gateway');
  token
    .command('issue')
    .description('print a signed capability token (issuer key in the home directory, made on first use)')
    .requiredOption('--role <role>', 'agent or ops')
    .option('--subject <id>', 'agent id (agent tokens) or operator id (ops tokens)')
    .option('--agent <id>', 'same as --subject')
    .option('--tools <list>', `comma-separated tools, or all (agent: ${AGENT_TOOLS.join(',')}; ops: ${OPS_TOOLS.join(',')})`)
    .option('--symbols <list>', 'comma-separated symbols the agent may trade, or *')
    .option('--notional-cap <quote>', 'largest value of one order, quote currency (agent tokens)')
    .option('--mode <mode>', `one of ${TRADING_MODES.join(', ')}`, 'paper')
    .option('--ttl <sec>', `lifetime in seconds (at most ${MAX_TOKEN_TTL_SEC})`, String(DEFAULT_TOKEN_TTL_SEC))
    .option('--home <dir>', 'Bulwark home (default $BULWARK_HOME or ~/.bulwark)')
    .option('--json', 'print {token, jti, expiresAt}', false)
    .action(async (opts: IssueOptions) => {
      await issue(opts);
    });
  token
    .command('keys')
    .description('make the agent and ops issuer keys if missing and print where they are')
    .option('--home <dir>', 'Bulwark home (default $BULWARK_HOME or ~/.bulwark)')
    .action((opts: { home?: string }) => {
      const home = resolveBulwarkHome(opts.home);
      for (const role of ['agent', 'ops'] as const) {
        const k = ensureTokenKeys(home, role);
        process.stdout.write(`${role}: ${k.privateKeyPath}${k.created ? ' (made now)' : ''}\n`);
      }
    });
}
