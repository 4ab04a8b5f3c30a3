/**
 * One backtest run into a directory — the chain, its files, report.html and the signed audit log — with the
 * agent in the sandbox tier it needs. `bulwark backtest` and a queue worker both run backtests through this, so
 * a queued run writes what a local one writes. A JavaScript module agent or a policy checkpoint runs in the
 * tier its risk score and the requested tier give (a module never in this process; a checkpoint in-process only
 * at tier 0, when signed by a trusted key); rule agents, this package's own code, run in-process.
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
  isRuleAgentSpec,
  loadCheckpointAgent,
  openRunAudit,
  prepareJob,
  runJob,
  writeReportHtml,
  writeRunFiles,
} from '../backtests/index.js';
import {
  type CodeOrigin,
  type SandboxLimits,
  type SandboxTier,
  type SandboxedBacktestAgent,
  type TierChoice,
  checkpointTier,
  isModuleAgentSpec,
  openSandboxedBacktestAgent,
  parseSandboxLimits,
} from '../sandbox/index.js';
import type { AuditSink, BulwarkHome } from '../security/index.js';

export interface BacktestRunOptions {
  readonly job: BacktestJob;
  /** Output directory (created; removed again when the run fails and this call created it). */
  readonly out: string;
  /** Sandbox tier asked for: raises the tier the risk score gives, never lowers it. Module agents and checkpoints. */
  readonly tier?: SandboxTier;
  /** Where the agent comes from (risk score). Default `local` for a module agent, `own-checkpoint` for a checkpoint. */
  readonly origin?: CodeOrigin;
  /** Directory of trusted Ed25519 public keys for module-agent and checkpoint signatures (`FILE.sig`). */
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
  const tiered = sandboxed === null ? await checkpointRunner(o) : null;
  let jobAgent: JobAgent;
  try {
    jobAgent =
      sandboxed?.jobAgent ??
      (await createJobAgent(o.job.agent, prepared, tiered === null ? loadCheckpointAgent : (spec, p) => loadCheckpointAgent(spec, p, tiered.runner ?? undefined)));
  } catch (err) {
    await tiered?.runner?.policy?.close();
    throw err;
  }
  const supervised = sandboxed?.agent ?? tiered?.runner?.policy ?? null;
  const notes = tiered === null ? jobAgent.notes : [...(jobAgent.notes ?? []), tierNote(tiered.choice, tiered.signed)];
  try {
    return await runAndWrite(o, prepared, { ...jobAgent, ...(notes === undefined ? {} : { notes }) }, supervised);
  } finally {
    await supervised?.close();
  }
}

const MODULE_ORIGINS: readonly CodeOrigin[] = ['local', 'third-party'];
const CHECKPOINT_ORIGINS: readonly CodeOrigin[] = ['own-checkpoint', 'third-party'];

function sandboxLimits(o: BacktestRunOptions): SandboxLimits {
  return parseSandboxLimits(o.decisionTimeoutMs === undefined ? {} : { decisionTimeoutMs: o.decisionTimeoutMs }, '--decision-timeout-ms');
}

function tierNote(choice: TierChoice, signed: boolean): string {
  return `Agent runs in sandbox tier ${choice.tier} (floor ${choice.floor}, risk score ${choice.score}; ${signed ? 'signed by a trusted key' : 'unsigned'}).`;
}

/**
 * A policy checkpoint runs in the tier its risk score (own-checkpoint unless said otherwise, signed or not) and
 * the requested tier give: tier 0 in-process, tiers 1-3 in a sandbox that reads the checkpoint itself.
 */
async function checkpointRunner(o: BacktestRunOptions): Promise<Awaited<ReturnType<typeof checkpointTier>> | null> {
  const spec = o.job.agent;
  if (isRuleAgentSpec(spec) || !existsSync(spec)) {
    // A rule agent runs in-process; any other name is left to createJobAgent to explain (mistyped, missing).
    if (o.tier !== undefined && o.tier > 0 && isRuleAgentSpec(spec)) throw new RangeError(`--tier: '${spec}' is a built-in rule agent and runs in-process`);
    return null;
  }
  const origin = o.origin ?? 'own-checkpoint';
  if (!CHECKPOINT_ORIGINS.includes(origin)) throw new RangeError(`--origin: a checkpoint is own-checkpoint or third-party, got '${origin}'`);
  return checkpointTier({
    spec,
    ...(o.tier === undefined ? {} : { requestedTier: o.tier }),
    origin,
    ...(o.trustedKeysDir === undefined ? {} : { trustedKeysDir: o.trustedKeysDir }),
    limits: sandboxLimits(o),
    mode: 'backtest',
  });
}

/** A JavaScript module agent runs in the sandbox tier its risk score and the requested tier give. */
async function openModuleAgent(o: BacktestRunOptions): Promise<{ agent: SandboxedBacktestAgent; jobAgent: JobAgent } | null> {
  if (!isModuleAgentSpec(o.job.agent)) return null;
  const origin = o.origin ?? 'local';
  if (!MODULE_ORIGINS.includes(origin)) throw new RangeError(`--origin: a JavaScript agent is local or third-party, got '${origin}'`);
  const limits = sandboxLimits(o);
  const { agent, choice, signed } = await openSandboxedBacktestAgent({
    spec: o.job.agent,
    ...(o.tier === undefined ? {} : { requestedTier: o.tier }),
    origin,
    ...(o.trustedKeysDir === undefined ? {} : { trustedKeysDir: o.trustedKeysDir }),
    limits,
    seed: o.job.seed ?? 0,
  });
  return { agent, jobAgent: { agent, notes: [tierNote(choice, signed)] } };
}

async function runAndWrite(
  o: BacktestRunOptions,
  prepared: PreparedJob,
  jobAgent: JobAgent,
  sandboxed: { audit: AuditSink; summary(): string } | null,
): Promise<BacktestRunResult> {
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
