/**
 * The seccomp program tier 2 hands to `bwrap --seccomp`: the agent's process may start threads but no
 * processes. `clone` without CLONE_THREAD, `fork` and `vfork` fail with EPERM; `clone3` fails with ENOSYS
 * (its flags sit in memory a filter cannot read, and glibc then falls back to `clone`); a foreign syscall
 * ABI (x32) kills the process. Classic BPF, one 8-byte `sock_filter` per instruction, little-endian.
 */
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_KILL_PROCESS = 0x80000000;
const EPERM = 1;
const ENOSYS = 38;
const CLONE_THREAD = 0x00010000;
const X32_SYSCALL_BIT = 0x40000000;
/** seccomp_data offsets: nr, arch, args[0] (low 32 bits on little-endian). */
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0 = 16;
/** A syscall number that never matches (the architecture has no such call). */
const NONE = 0xffffffff;

interface ArchSyscalls {
  readonly auditArch: number;
  readonly clone: number;
  readonly clone3: number;
  readonly fork: number;
  readonly vfork: number;
}

const ARCHES: Readonly<Record<string, ArchSyscalls>> = {
  x64: { auditArch: 0xc000003e, clone: 56, clone3: 435, fork: 57, vfork: 58 },
  arm64: { auditArch: 0xc00000b7, clone: 220, clone3: 435, fork: NONE, vfork: NONE },
};

type Insn = readonly [code: number, jt: number, jf: number, k: number];

/** The program for `arch` (Node's `process.arch`); throws for an architecture it does not know (fail closed). */
export function noProcessesSeccompProgram(arch: string = process.arch): Buffer {
  const a = ARCHES[arch];
  if (a === undefined) throw new Error(`sandbox tier 2: no seccomp program for architecture ${arch}`);
  // Jump offsets count instructions skipped after the current one; the targets are the four returns at the end.
  const program: Insn[] = [
    [LD_W_ABS, 0, 0, OFF_ARCH], //          0
    [JEQ_K, 0, 11, a.auditArch], //         1: other arch -> 13 kill
    [LD_W_ABS, 0, 0, OFF_NR], //            2
    [JGE_K, 9, 0, X32_SYSCALL_BIT], //      3: x32 -> 13 kill
    [JEQ_K, 7, 0, a.clone3], //             4: -> 12 ENOSYS
    [JEQ_K, 5, 0, a.fork], //               5: -> 11 EPERM
    [JEQ_K, 4, 0, a.vfork], //              6: -> 11 EPERM
    [JEQ_K, 0, 2, a.clone], //              7: not clone -> 10 allow
    [LD_W_ABS, 0, 0, OFF_ARG0], //          8: clone flags
    [JSET_K, 0, 1, CLONE_THREAD], //        9: thread -> 10 allow, else 11 EPERM
    [RET_K, 0, 0, RET_ALLOW], //            10
    [RET_K, 0, 0, RET_ERRNO | EPERM], //    11
    [RET_K, 0, 0, RET_ERRNO | ENOSYS], //   12
    [RET_K, 0, 0, RET_KILL_PROCESS], //     13
  ];
  const out = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    out.writeUInt16LE(code, i * 8);
    out.writeUInt8(jt, i * 8 + 2);
    out.writeUInt8(jf, i * 8 + 3);
    out.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return out;
}
