import type { RulesInput } from '../constraints/index.js';

/**
 * A generated rule set with a position or order share above 1 declares leverage, as a real one must (the
 * schema refuses such a share otherwise as a probable percent); `max_leverage` at its loosest so that the
 * declaration itself binds nothing the generator did not mean.
 */
export function withLeverageDeclared<T extends RulesInput>(rules: T): T {
  const above = (rules.max_position_pct ?? 0) > 1 || (rules.max_order_pct ?? 0) > 1;
  if (!above || rules.max_leverage !== undefined || rules.initial_margin_pct !== undefined) return rules;
  return { ...rules, max_leverage: 1_000 };
}
