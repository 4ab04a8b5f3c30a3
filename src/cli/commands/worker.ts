/**
 * `bulwark worker --queues backtest,sweep,… --concurrency N --redis URL`: runs queued jobs until SIGTERM or
 * Ctrl-C, which stop it taking jobs; the current ones finish, then it exits 0. One line per job event.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveHome } from '../../security/index.js';
import { type WorkerEvent, checkRedisUrl, parseQueueList, startQueueWorker } from '../../jobs/index.js';
import { parseWholeNumberFlag } from '../flags.js';

interface WorkerFlags {
  queues: string;
  concurrency: string;
  redis: string;
  lockDurationMs: string;
  stalledIntervalMs: string;
  prefix: string;
  home?: string;
  workDir: string;
  json: boolean;
  quiet: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run queued backtest, sweep, walk-forward, training (and noop) jobs from Redis (BullMQ) until SIGTERM')
    .option('--queues <list>', 'queues to serve: backtest,sweep,walk-forward,train,noop or all (all but noop)', 'all')
    .option('--concurrency <n>', 'jobs at once per queue', '1')
    .requiredOption('--redis <url>', 'Redis holding the queues, e.g. redis://127.0.0.1:6379')
    .option('--lock-duration-ms <ms>', "a job's lock; a killed worker's job is taken over after about this long", '10000')
    .option('--stalled-interval-ms <ms>', 'how often to look for jobs whose worker died', '5000')
    .option('--prefix <name>', 'BullMQ key prefix', 'bulwark-jobs')
    .option('--home <dir>', 'home whose key signs the audit logs of the runs (default: BULWARK_HOME, else ~/.bulwark)')
    .option('--work-dir <dir>', 'where runs go whose job names no shared run directory', 'runs/worker')
    .option('--json', 'one JSON line per job event', false)
    .option('--quiet', 'print failed jobs only (a worker doing thousands of short jobs a second)', false)
    .action(async (flags: WorkerFlags) => {
      const queues = parseQueueList(flags.queues);
      const concurrency = parseWholeNumberFlag(flags.concurrency, '--concurrency', 1);
      const lockDurationMs = parseWholeNumberFlag(flags.lockDurationMs, '--lock-duration-ms', 100);
      const stalledIntervalMs = parseWholeNumberFlag(flags.stalledIntervalMs, '--stalled-interval-ms', 100);
      const redisUrl = checkRedisUrl(flags.redis, '--redis');
      const line = (e: WorkerEvent): string =>
        flags.json ? JSON.stringify({ ...e, time: new Date().toISOString() }) : `${e.type} ${e.kind} ${e.jobId}${e.type === 'failed' ? `: ${e.error}` : ''}`;
      const worker = await startQueueWorker({
        redisUrl,
        queues,
        concurrency,
        lockDurationMs,
        stalledIntervalMs,
        prefix: flags.prefix,
        context: { home: resolveHome(flags.home), workDir: resolve(flags.workDir), log: (l) => process.stderr.write(`${l}\n`) },
        onEvent: (e) => {
          if (!flags.quiet || e.type === 'failed') process.stdout.write(`${line(e)}\n`);
        },
      });
      process.stderr.write(`worker ${worker.name}: serving ${queues.join(', ')} (concurrency ${concurrency}) on ${redisUrl.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}\n`);
      await new Promise<void>((done) => {
        const stop = (signal: string): void => {
          process.stderr.write(`worker ${worker.name}: ${signal}: finishing the current job(s), then stopping\n`);
          void worker.close().then(done);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      process.stderr.write(`worker ${worker.name}: stopped\n`);
    });
}
