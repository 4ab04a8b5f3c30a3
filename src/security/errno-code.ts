/**
 * The `code` of a Node system error (`ENOENT`, `EISDIR`, `EACCES`, …) for messages that name a file and the
 * problem without Node's own wording (which, for key files, could echo what it tried to parse).
 */
export function errnoCode(err: unknown, fallback = 'error'): string {
  return err instanceof Error && 'code' in err ? String(err.code) : fallback;
}
