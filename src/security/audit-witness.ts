/**
 * A witness: a second place that keeps every signed checkpoint of a log, so a log cut back to an earlier
 * checkpoint (still a sound, signed log on its own) no longer matches what was witnessed (the idea behind
 * Certificate Transparency's witnesses). The file witness keeps one JSONL file per log, named by the log's id
 * (`<dir>/<logId>.jsonl`), somewhere other than the log (the home's `witness/` directory by default).
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readFileLines } from './audit-lines.js';
import { type AuditCheckpoint, AuditRecordError, checkpointLine, parseAuditLine } from './audit-record.js';

export interface AuditWitness {
  /** Keeps one signed checkpoint of log `logId`. Throws if it cannot; the log goes on and reports it. */
  record(logId: string, checkpoint: AuditCheckpoint): void;
}

export function witnessFilePath(dir: string, logId: string): string {
  return join(dir, `${logId}.jsonl`);
}

/** Appends each checkpoint to `<dir>/<logId>.jsonl`. */
export class FileWitness implements AuditWitness {
  constructor(readonly dir: string) {}

  record(logId: string, checkpoint: AuditCheckpoint): void {
    if (!/^[0-9a-f]{16}$/.test(logId)) throw new Error(`witness: log id must be 16 hex digits, got '${logId}'`);
    if (!existsSync(this.dir)) mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    appendFileSync(witnessFilePath(this.dir, logId), checkpointLine(checkpoint), { mode: 0o600 });
  }
}

/**
 * The checkpoints a witness file holds, in order. A torn last line (a crash mid-append) is skipped; any other
 * line that is not a checkpoint is an error naming the file and line.
 */
export function readWitnessFile(path: string): AuditCheckpoint[] {
  const out: AuditCheckpoint[] = [];
  for (const line of readFileLines(path)) {
    if (!line.complete) break;
    let record;
    try {
      record = parseAuditLine(line.text);
    } catch (err) {
      const why = err instanceof AuditRecordError ? err.reason : String(err);
      throw new Error(`witness '${path}': line ${line.lineNo}: ${why}`);
    }
    if (record.kind !== 'checkpoint') throw new Error(`witness '${path}': line ${line.lineNo}: not a checkpoint`);
    out.push(record);
  }
  return out;
}
