/**
 * One backtest run into a directory — the chain, its files, report.html and the signed audit log — with the
 * agent in the sandbox tier it needs. `bulwark backtest` and a queue worker both run backtests through this, so
 * a queued run writes what a local one writes. A JavaScript module agent runs in the tier its risk score and the
 * requested tier give (never in this process); rule agents and checkpoints, which are this package's own code
 * given data, run in-process (tier 0).
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type BacktestJob,
  type BacktestRecord,
  type JobAgent,
  type PreparedJob,
  annualisedCaveat,
  createJobAgent,
  loadCheckpointAgent,
  openRunAudit,
  prepareJob,
  runJob,
  writeReportHtml,
  writeRunFiles,
} from '../backtests/index.js';
import {
  type CodeOrigin,
  type SandboxTier,
  type SandboxedBacktestAgent,
  isModuleAgentSpec,
  openSandboxedBacktestAgent,
  parseSandboxLimits,
} from '../sandbox/index.js';
import type { BulwarkHome } from '../security/index.js';

export interface BacktestRunOptions {
  readonly job: BacktestJob;
  /** Output directory (created; removed again when the run fails and this call created it). */
  readonly out: string;
  /** Sandbox tier asked for: raises the tier the risk score gives, never lowers it. Module agents only above 0. */
  readonly tier?: SandboxTier;
  /** Where a JavaScript module agent comes from (risk score). Default `local`. */
  readonly origin?: CodeOrigin;
  /** Directory of trusted Ed25519 public keys for module-agent signatures. */
  readonly trustedKeysDir?: string;
  /** Sandboxed agent: a later answer is HOLD and counted (ms; default the sandbox's 250). */
  readonly decisionTimeoutMs?: number;
  /** Home whose key signs the audit log (a queue worker's own home: the supervisor signs, never the job). */
  readonly home: BulwarkHome;
  /** Seal the audit log every N events / when its oldest unsealed event is this many ms old. */
  readonly sealEvery?: number;
  readonly sealIntervalMs?: number;
}

export interface BacktestRunResult {
  readonly record: BacktestRecord;
  readonly source: string;
  readonly out: string;
  readonly notes: readonly string[];
  readonly files: Record<string, string>;
}

/** Load, run the chain, write the files and the report; a bad input leaves no directory behind. */
export async function runBacktestInto(o: BacktestRunOptions): Promise<BacktestRunResult> {
  const prepared = await prepareJob(o.job);
  // Load the agent before creating the output directory, so a bad --agent leaves nothing behind.
  const sandboxed = await openModuleAgent(o);
  const jobAgent = sandboxed?.jobAgent ?? (await createJobAgent(o.job.agent, prepared, loadCheckpointAgent));
  try {
    return await runAndWrite(o, prepared, jobAgent, sandboxed?.agent ?? null);
  } finally {
    await sandboxed?.agent.close();
  }
}

async function openModuleAgent(o: BacktestRunOptions): Promise<{ agent: SandboxedBacktestAgent; jobAgent: JobAgent } | null> {
  if (!isModuleAgentSpec(o.job.agent)) {
    if (o.tier !== undefined && o.tier > 0) {
      throw new RangeError(`--tier: applies to JavaScript module agents (--agent FILE.mjs); '${o.job.agent}' is built in or a checkpoint and runs in-process`);
    }
    return null;
  }
  const limits = parseSandboxLimits(o.decisionTimeoutMs === undefined ? {} : { decisionTimeoutMs: o.decisionTimeoutMs }, '--decision-timeout-ms');
  const { agent, choice, signed } = await openSandboxedBacktestAgent({
    spec: o.job.agent,
    ...(o.tier === undefined ? {} : { requestedTier: o.tier }),
    origin: o.origin ?? 'local',
    ...(o.trustedKeysDir === undefined ? {} : { trustedKeysDir: o.trustedKeysDir }),
    limits,
    seed: o.job.seed ?? 0,
  });
  const note = `Agent runs in sandbox tier ${choice.tier} (floor ${choice.floor}, risk score ${choice.score}; ${signed ? 'signed by a trusted key' : 'unsigned'}).`;
  return { agent, jobAgent: { agent, notes: [note] } };
}

async function runAndWrite(o: BacktestRunOptions, prepared: PreparedJob, jobAgent: JobAgent, sandboxed: SandboxedBacktestAgent | null): Promise<BacktestRunResult> {
  const out = resolve(o.out);
  const createdOut = !existsSync(out);
  const audit = openRunAudit(out, {
    home: o.home,
    ...(o.sealEvery === undefined ? {} : { sealEvery: o.sealEvery }),
    ...(o.sealIntervalMs === undefined ? {} : { sealIntervalMs: o.sealIntervalMs }),
  });
  if (sandboxed !== null) sandboxed.audit = audit.log;
  let rec;
  try {
    rec = await runJob(o.job, { prepared, jobAgent, audit: audit.log });
  } catch (err) {
    // A failed run leaves no half-written directory behind (only one this call created).
    audit.log.close();
    if (createdOut) rmSync(out, { recursive: true, force: true });
    throw err;
  }
  const auditStatus = audit.verify();
  const written = writeRunFiles(out, rec);
  const reportPath = join(out, 'report.html');
  const notes = [`Annualised with ${rec.metrics.calendar}.`, ...(jobAgent.notes ?? []), ...(sandboxed === null ? [] : [sandboxed.summary()])];
  const caveat = annualisedCaveat(rec.metrics);
  writeReportHtml(reportPath, [rec], {
    title: `Backtest: ${rec.agent}`,
    notes: [`Data: ${prepared.source}, ${rec.bars.length} bars. Seed ${prepared.seed}.`, rec.limits.note, ...notes, ...(caveat === null ? [] : [caveat])],
    audit: [auditStatus],
  });
  const files = { ...Object.fromEntries(written.files.map((f) => [f.split('/').pop() ?? f, f])), 'report.html': reportPath, 'audit.jsonl': audit.path, 'run.json': join(out, 'run.json') };
  return { record: rec, source: prepared.source, out, notes, files };
}
