/** The limits of one sandboxed agent session, with defaults and units. */
import { z } from 'zod';
import { parseWithSchema } from '../core/index.js';

export const sandboxLimitsSchema = z
  .object({
    /** A decision answered later than this is HOLD and counted as late. */
    decisionTimeoutMs: z.number().positive().max(600_000).default(250),
    /** This many late decisions in a row stop the agent (it is spinning or hung). */
    maxConsecutiveLate: z.number().int().min(1).default(3),
    /** How long the agent may take to start and answer `init`. */
    startTimeoutMs: z.number().positive().max(600_000).default(15_000),
    /** Heap cap (tiers 1-3; tiers 2 and 3 also cap the address space at this plus Node's own 1 GiB). */
    memoryMb: z.number().int().min(32).max(65_536).default(256),
    /** CPU seconds for the whole session (tiers 2 and 3, RLIMIT_CPU). */
    cpuSec: z.number().int().min(1).max(86_400).default(300),
    /** Bytes the agent may print (stderr; tier 1: its stdout and stderr streams) over the session. */
    maxOutputBytes: z.number().int().min(0).default(1 << 20),
    /** Largest frame either side may send. */
    maxFrameBytes: z.number().int().min(1024).max(1 << 30).default(1 << 20),
    /** Wall-clock limit of the whole session; 0 = none. */
    sessionDeadlineMs: z.number().int().min(0).default(0),
  })
  .strict();

export type SandboxLimits = z.infer<typeof sandboxLimitsSchema>;
export type SandboxLimitsInput = z.input<typeof sandboxLimitsSchema>;

export function parseSandboxLimits(input: unknown, source = 'sandbox limits'): SandboxLimits {
  return parseWithSchema(sandboxLimitsSchema, input ?? {}, source);
}
