/**
 * `bulwark constraints explain --rules FILE --state FILE [--json]`: prints each action of the rule set's
 * mask for one state, allowed or not, and why, plus the allowed target-position interval.
 */
import type { Command } from 'commander';
import { compileRules, explainActionMask, formatExplanation, loadRulesFile, loadStateFileWithDefaults } from '../../constraints/index.js';

export function registerConstraintsCommand(program: Command): void {
  const constraints = program.command('constraints').description('the Constraint Logic Engine (action masks from hard rules)');
  constraints
    .command('explain')
    .description('print each action for a state, allowed or not, and the rules that mask it')
    .requiredOption('--rules <file>', 'rule set, YAML or JSON')
    .requiredOption('--state <file>', 'state record, YAML or JSON (equity, price, positionQty, peakEquity, dayPnl, time, …)')
    .option('--json', 'print one JSON object', false)
    .action((opts: { rules: string; state: string; json: boolean }) => {
      const rules = loadRulesFile(opts.rules, `--rules ${opts.rules}`);
      const { state, defaulted } = loadStateFileWithDefaults(opts.state, `--state ${opts.state}`);
      const f = rules.fill_model;
      const boundSource =
        `fill_model in ${opts.rules}: spread_bps ${f.spread_bps} / 2 + slippage_bound_bps ${f.slippage_bound_bps}` +
        (f.spread_bps === 0 && f.slippage_bound_bps === 0 ? ' (none given: the last price itself is the worst case)' : '');
      const explanation = explainActionMask(state, compileRules(rules), { defaultedFields: defaulted, boundSource });
      process.stdout.write(opts.json ? `${JSON.stringify(explanation)}\n` : `${formatExplanation(explanation)}\n`);
    });
}
