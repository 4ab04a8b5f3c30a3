/** Telling a mistyped `--agent` from a checkpoint path: the names on offer and the nearest to what was typed. */

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The name nearest to `typed` (case and punctuation ignored), if it is close enough to be the one meant. */
export function nearestName(typed: string, names: readonly string[]): string | undefined {
  const bare = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const t = bare(typed);
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = editDistance(t, bare(name));
    if (best === undefined || d < best.d) best = { name, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(bare(best.name).length / 3)) ? best.name : undefined;
}

/** `--agent 'smacross': not an agent name (buy-and-hold, sma-cross, random) nor a checkpoint file or run directory; did you mean 'sma-cross'?` */
export function unknownAgentMessage(spec: string, names: readonly string[]): string {
  const name = spec.split(':')[0].trim();
  const near = nearestName(name, names);
  return (
    `--agent '${spec}': not an agent name (${names.join(', ')}) nor a checkpoint file or run directory` +
    (near === undefined ? '' : `; did you mean '${near}'?`)
  );
}
