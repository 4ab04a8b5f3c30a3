/**
 * `bulwark gateway [--config FILE] [--port N] [--redis URL] [--home DIR]`: starts the gateway in front of
 * paper sessions replaying the configured feeds, until SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { defaultGatewayLogger, runGateway } from '../../gateway/index.js';
import { redactRedisUrl } from '../../risk-gatekeeper/index.js';
import { resolveBulwarkHome } from '../../security/index.js';
import { parseWholeNumberFlag } from '../flags.js';

interface GatewayFlags {
  config?: string;
  port?: string;
  host?: string;
  redis?: string;
  home?: string;
  logLevel: string;
}

export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('serve the agent API (/v1) and the ops API (/v1/ops) in front of paper sessions on replayed feeds')
    .option('--config <file>', 'gateway config (YAML or JSON): markets, rules, gatekeeper, fill, rate limits')
    .option('--port <n>', 'TCP port (default 8787, or the config port)')
    .option('--host <addr>', 'address to listen on (default 127.0.0.1)')
    .option('--redis <url>', 'keep trading states, revocations and rate limits in Redis (shared by every gateway)')
    .option('--home <dir>', 'Bulwark home: token and audit keys, the audit log (default $BULWARK_HOME or ~/.bulwark)')
    .option('--log-level <level>', 'pino level: fatal, error, warn, info, debug, trace, silent', 'info')
    .action(async (opts: GatewayFlags) => {
      const home = resolveBulwarkHome(opts.home);
      const port = opts.port === undefined ? undefined : parseWholeNumberFlag(opts.port, '--port', 0);
      if (port !== undefined && port > 65_535) throw new Error(`--port: must be at most 65535, got ${port}`);
      const logger = defaultGatewayLogger(opts.logLevel);
      const running = await runGateway({ home, configPath: opts.config, port, host: opts.host, redisUrl: opts.redis, logger });
      logger.info(
        { url: running.url, home, audit: running.auditPath, redis: opts.redis === undefined ? 'none (in-process state)' : redactRedisUrl(opts.redis), symbols: running.desk.symbols() },
        `gateway listening on ${running.url}; docs at ${running.url}/docs; tokens: bulwark token issue --home ${home}`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          running.stop().then(resolve, (err: unknown) => {
            logger.error({ err: String(err) }, 'gateway: stop failed');
            resolve();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
