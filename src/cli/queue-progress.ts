/**
 * Progress of a queued run: a bar on a terminal, plain lines otherwise (a log file or CI gets `sweep: 5/20 done,
 * 2 workers` each time the count moves), nothing with --json. Says so when no worker serves the queue.
 */
import cliProgress from 'cli-progress';

export interface QueueProgress {
  update(done: number, total: number, workers: number): void;
  stop(): void;
}

export function queueProgress(label: string, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): QueueProgress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  let lastLine = '';
  let warnedNoWorkers = false;
  const noWorkers = (workers: number, done: number, total: number): void => {
    if (workers === 0 && done < total && !warnedNoWorkers) {
      warnedNoWorkers = true;
      stream.write(`${label}: no worker serves this queue yet; start one with bulwark worker --queues ${label} --redis URL\n`);
    }
  };
  if (!stream.isTTY) {
    return {
      update: (done, total, workers) => {
        noWorkers(workers, done, total);
        const line = `${label}: ${done}/${total} done, ${workers} worker(s)`;
        if (line !== lastLine) stream.write(`${line}\n`);
        lastLine = line;
      },
      stop: () => undefined,
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  return {
    update: (done, total, workers) => {
      if (bar === null) {
        bar = new cliProgress.SingleBar(
          { format: `${label} [{bar}] {value}/{total} | {workers} worker(s) | {eta_formatted} left`, stream, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done, { workers });
      }
      bar.update(done, { workers });
    },
    stop: () => bar?.stop(),
  };
}
