/**
 * `bulwark constraints explain --rules FILE --state FILE [--json]`: prints each action of the rule set's
 * mask for one state, allowed or not, and why, plus the allowed target-position interval.
 */
import type { Command } from 'commander';
import { compileRules, explainActionMask, formatExplanation, loadRulesFile, loadStateFile } from '../../constraints/index.js';

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
      const state = loadStateFile(opts.state, `--state ${opts.state}`);
      const explanation = explainActionMask(state, compileRules(rules));
      process.stdout.write(opts.json ? `${JSON.stringify(explanation)}\n` : `${formatExplanation(explanation)}\n`);
    });
}
