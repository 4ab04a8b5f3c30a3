/**
 * `bulwark status`: the home in use, the store's epoch and health, every scope's state in the store next to
 * the kill-switch log's last state for it, and a loud warning (and exit code 1) when they differ or the store's
 * state is unknown.
 */
import type { Command } from 'commander';
import { systemClock } from '../../core/index.js';
import { type Scope, type StateRecord, type TradingState, redactRedisUrl } from '../../risk-gatekeeper/index.js';
import { errorText } from '../../risk-gatekeeper/index.js';
import { type StoreOptions, addStoreOptions, describeRecord, homeAndLog, openStore } from './kill.js';
import { type KillSwitchLogState, replayKillSwitchLog } from './killswitch-log.js';

interface ScopeComparison {
  readonly scope: Scope;
  readonly store: TradingState;
  readonly audit: TradingState;
}

function compareScopes(store: readonly StateRecord[], audit: readonly StateRecord[]): ScopeComparison[] {
  const scopes = new Set<Scope>(['global']);
  for (const r of store) scopes.add(r.scope);
  for (const r of audit) scopes.add(r.scope);
  const stateIn = (rs: readonly StateRecord[], s: Scope): TradingState => rs.find((r) => r.scope === s)?.state ?? 'ACTIVE';
  return [...scopes].sort().map((scope) => ({ scope, store: stateIn(store, scope), audit: stateIn(audit, scope) }));
}

export function registerStatusCommand(program: Command): void {
  addStoreOptions(program.command('status').description("print every scope's state in the store next to the kill-switch log's, the epoch and the home"))
    .option('--json', 'print one JSON object', false)
    .action(async (opts: StoreOptions & { json: boolean }) => {
      const { home, logPath } = homeAndLog(opts);
      const store = await openStore(opts);
      try {
        const nowMs = systemClock.nowMs();
        const health = store.health(nowMs);
        const problem = store.healthProblem();
        const epoch = store.epoch() ?? null;
        const records = store.cache.all();
        let log: KillSwitchLogState | undefined;
        let logProblem = '';
        try {
          log = replayKillSwitchLog(home, logPath);
        } catch (err) {
          logProblem = errorText(err);
        }
        const compared = compareScopes(records, log?.records ?? []);
        const differences = log === undefined ? [] : compared.filter((c) => c.store !== c.audit);
        const alarm = health !== 'OK' || logProblem !== '' || differences.length > 0;
        if (alarm) process.exitCode = 1;
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({
              home: home.dir,
              homeSource: home.source,
              store: { url: redactRedisUrl(opts.redis), prefix: opts.prefix, epoch, health, problem },
              audit: { path: logPath, exists: log?.exists ?? false, lastSeq: log?.lastSeq ?? 0, lastSealedSeq: log?.lastSealedSeq ?? 0, problem: logProblem, scopes: log?.records ?? [] },
              global: store.cache.stateOf('global'),
              health,
              scopes: records,
              compared,
              differences,
            })}\n`,
          );
          return;
        }
        const out: string[] = [];
        out.push(`home: ${home.dir} (${home.source})`);
        const epochText = epoch === null ? 'NO EPOCH' : `epoch ${epoch.id}${epoch.restored ? ' (restored)' : ' (NOT RESTORED)'}`;
        out.push(`store: ${redactRedisUrl(opts.redis)} prefix ${opts.prefix}: ${epochText}, health ${health}${problem === '' ? '' : `: ${problem}`}`);
        out.push(
          log === undefined
            ? `audit log: ${logPath}: UNREADABLE: ${logProblem}`
            : `audit log: ${logPath}${log.exists ? `: ${log.lastSeq} events, sealed to seq ${log.lastSealedSeq}` : ' (none yet)'}`,
        );
        out.push('scope: store | audit log');
        for (const c of compared) {
          const rec = records.find((r) => r.scope === c.scope);
          const storeText = rec === undefined ? `${c.store} (never changed)` : describeRecord(rec).slice(c.scope.length + 2);
          const mark = log !== undefined && c.store !== c.audit ? '   <-- DIFFERS' : '';
          out.push(`  ${c.scope}: store ${storeText} | audit log ${log === undefined ? '?' : c.audit}${mark}`);
        }
        if (health !== 'OK') {
          out.push(`!! THE STORE'S STATE CANNOT BE TRUSTED (${health}): every gatekeeper fails closed; run: bulwark kill restore --reason …`);
        }
        if (differences.length > 0) {
          out.push(
            `!! STORE AND AUDIT LOG DISAGREE on ${differences.map((d) => `${d.scope} (store ${d.store}, log ${d.audit})`).join(', ')}: ` +
              'a change was made elsewhere (an automatic trigger, another home) or the store lost or was given state; ' +
              'check, then kill/resume or bulwark kill restore',
          );
        }
        if (logProblem !== '') out.push(`!! THE KILL-SWITCH LOG CANNOT BE REPLAYED: ${logProblem}`);
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        await store.close();
      }
    });
}
