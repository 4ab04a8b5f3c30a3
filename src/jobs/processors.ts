/**
 * What a worker does with each kind of job. The worker is the trusted supervisor: a payload is validated data,
 * a module agent (FILE.mjs) runs only in the sandbox tier its risk score and the job's request give, and the
 * in-process paths (rule agents, checkpoints, training) run this package's own code on the job's data; a training
 * job may ask for tier 1, a capped worker thread, so its out-of-memory or crash fails that job, not the worker.
 */
import { join, resolve } from 'node:path';
import { definedFields, parseWithSchema } from '../core/index.js';
import {
  type BacktestJob,
  annualisedCaveat,
  prepareJob,
  runSweepCell,
  runWalkForwardWindow,
  walkForwardOptionsOf,
} from '../backtests/index.js';
import { isModuleAgentSpec, parseSandboxLimits } from '../sandbox/index.js';
import type { BulwarkHome } from '../security/index.js';
import { runBacktestInto } from './backtest-run.js';
import { walkForwardWindowOutput } from './walk-forward-run.js';
import { type JobKind, PAYLOAD_SCHEMAS } from './payloads.js';
import { runTrainInThread } from './train-in-thread.js';
import { trainProgressHooks } from './train-progress.js';
import type { QueuedTrainRun } from './train-queue.js';

export interface ProcessorContext {
  /** The worker's home: its key signs the audit logs of the runs it does. */
  readonly home: BulwarkHome;
  /** Where runs go whose payload names no shared run directory. */
  readonly workDir: string;
  /** Setup lines of long jobs (training). */
  readonly log: (line: string) => void;
  /** Reports a running job's progress to whoever waits for it (BullMQ job progress; training: one event per epoch). */
  readonly progress?: (data: Record<string, unknown>) => Promise<void>;
}

export type JobOutput = Record<string, unknown>;

/** Sweep cells and walk-forward windows run in-process: their agents must be built in, never a job's code. */
function requireBuiltInAgent(job: BacktestJob, kind: JobKind): void {
  if (isModuleAgentSpec(job.agent)) {
    throw new RangeError(`job.agent: '${job.agent}' is a JavaScript module; ${kind} jobs run built-in agents only — queue it as a backtest job, which runs it in a sandbox tier`);
  }
}

export async function processJob(kind: JobKind, jobId: string, data: unknown, ctx: ProcessorContext): Promise<JobOutput> {
  const source = `${kind} job ${jobId}`;
  switch (kind) {
    case 'backtest': {
      const p = parseWithSchema(PAYLOAD_SCHEMAS.backtest, data, source);
      const out = p.runDir ?? join(ctx.workDir, p.runId);
      const r = await runBacktestInto({
        job: definedFields(p.job),
        out,
        origin: p.sandbox.origin,
        ...definedFields({ tier: p.sandbox.tier, trustedKeysDir: p.sandbox.trustedKeysDir, decisionTimeoutMs: p.sandbox.decisionTimeoutMs }),
        home: ctx.home,
      });
      const caveat = annualisedCaveat(r.record.metrics);
      return {
        agent: r.record.agent,
        source: r.source,
        bars: r.record.bars.length,
        box: r.record.decisions.targets !== null,
        limits_note: r.record.limits.note,
        metrics: r.record.metrics,
        notes: r.notes,
        files: r.files,
        out: r.out,
        ...(caveat === null ? {} : { annualised_caveat: caveat }),
      };
    }
    case 'sweep': {
      const p = parseWithSchema(PAYLOAD_SCHEMAS.sweep, data, source);
      const job = definedFields(p.job);
      requireBuiltInAgent(job, kind);
      return { agent: job.agent, seed: job.seed ?? 0, metrics: await runSweepCell(job) };
    }
    case 'walk-forward': {
      const p = parseWithSchema(PAYLOAD_SCHEMAS['walk-forward'], data, source);
      const job = definedFields(p.job);
      requireBuiltInAgent(job, kind);
      const prepared = await prepareJob(job);
      const settings = { axes: p.axes, trainBars: p.trainBars, testBars: p.testBars, mode: p.mode, objective: p.objective };
      const w = await runWalkForwardWindow(await walkForwardOptionsOf(prepared, job.agent, settings), p.window);
      return walkForwardWindowOutput(w);
    }
    case 'train': {
      const p = parseWithSchema(PAYLOAD_SCHEMAS.train, data, source);
      // Progress events are sent in order; the run waits for none of them (a slow Redis never slows training).
      let sent: Promise<void> = Promise.resolve();
      const report = (event: Record<string, unknown>): void => {
        if (ctx.progress === undefined) return;
        const send = ctx.progress;
        sent = sent.then(() => send(event)).catch(() => undefined);
      };
      const run: QueuedTrainRun = {
        config: p.config,
        out: resolve(p.out),
        ...definedFields({
          seed: p.seed,
          resume: p.resume,
          data: p.data,
          rules: p.rules,
          csv: p.csv,
          from: p.from,
          to: p.to,
          account: p.account,
          evalEvery: p.evalEvery,
          evalData: p.evalData,
          evalEpisodes: p.evalEpisodes,
          session: p.session,
          command: p.command,
        }),
      };
      let summary: Record<string, unknown>;
      if (p.tier === 1) {
        // TensorFlow.js loads in the training thread only; this thread supervises.
        const memoryMb = p.memoryMb ?? parseSandboxLimits({}).memoryMb;
        summary = await runTrainInThread({ run, memoryMb, log: ctx.log, progress: report });
      } else {
        // Training pulls in TensorFlow.js: loaded only by a worker that gets a tier-0 training job.
        const { runTrainJob } = await import('../agents/index.js');
        summary = {
          ...(await runTrainJob({
            ...run,
            log: ctx.log,
            ...trainProgressHooks(report),
          })),
        };
      }
      // Every epoch's event is out before the result is recorded: the waiting command has them all when it ends.
      await sent;
      return summary;
    }
    case 'noop': {
      parseWithSchema(PAYLOAD_SCHEMAS.noop, data, source);
      return {};
    }
  }
}
