/**
 * The command lines of tiers 2 and 3.
 *
 * Tier 2: `bwrap --unshare-all --die-with-parent --new-session --clearenv` on an empty root that holds only
 * /usr (system libraries and binaries), the Node binary, the host files (read-only, /sandbox/host), the agent's
 * workspace (read-only, /sandbox/workspace) and a private /tmp; the root is then remounted read-only. No
 * home directory, no /etc beyond the loader cache, so no keys to read. A seccomp program lets it start threads
 * but no processes. Inside, `prlimit` sets RLIMIT_CPU (session CPU seconds), RLIMIT_AS (heap + Node's own
 * reservations) and no core files, and Node runs with `--max-old-space-size`.
 *
 * Tier 3: the same filesystem view and namespaces, and inside it gVisor (`runsc --rootless --network=none
 * run`, an OCI bundle of bwrap's read-only root) runs Node under its user-space kernel with the same rlimits
 * and, through `--oci-seccomp`, the same no-processes rule. bwrap is the outer layer because bwrap cannot run
 * under gVisor (it needs /proc/sys/kernel/overflowuid, which gVisor does not provide), and runsc needs to start
 * its own processes, so the seccomp rule sits inside gVisor. `runsc do` is not used: it mounts the host's
 * root and accepts no seccomp rule.
 */
import { accessSync, constants, existsSync, lstatSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { SandboxLimits } from './limits.js';
import { noProcessesSeccompProgram } from './seccomp-filter.js';

/** Where the sandbox sees its files. */
export const SANDBOX_HOST_DIR = '/sandbox/host';
export const SANDBOX_WORKSPACE_DIR = '/sandbox/workspace';
/** Node's own address-space reservations on top of the heap (it does not start under ~900 MiB of RLIMIT_AS). */
const NODE_ADDRESS_SPACE_MB = 1024;

export class SandboxUnavailableError extends Error {
  constructor(
    readonly tier: number,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

/** The absolute path of an executable on PATH (or the system dirs), or null. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const full = join(dir, name);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return null;
}

function requireExecutable(tier: number, name: string, pkg: string): string {
  const found = findExecutable(name);
  if (found === null) {
    throw new SandboxUnavailableError(tier, `sandbox tier ${tier} needs ${name} (Debian package ${pkg}); it is not installed, so the agent does not run`);
  }
  return realpathSync(found);
}

export interface SandboxCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** File to hand to the child as fd 3 (the seccomp program); null = none. */
  readonly fd3Path: string | null;
  /** A directory made for this sandbox alone (tier 3's OCI bundle), removed when it closes. */
  readonly tempDir?: string;
}

/** The top-level system directories, bound read-only (as symlinks where the host has merged /usr). */
function systemDirArgs(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const dir of ['/bin', '/sbin', '/lib', '/lib64', '/lib32']) {
    const stat = lstatSync(dir, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isSymbolicLink()) args.push('--symlink', realpathSync(dir), dir);
    else args.push('--ro-bind', dir, dir);
  }
  if (existsSync('/etc/ld.so.cache')) args.push('--ro-bind', '/etc/ld.so.cache', '/etc/ld.so.cache');
  return args;
}

function nodeArgs(limits: SandboxLimits, nodePath: string): string[] {
  return [
    `--cpu=${limits.cpuSec}`,
    `--as=${(limits.memoryMb + NODE_ADDRESS_SPACE_MB) * 1024 * 1024}`,
    '--core=0',
    '--',
    nodePath,
    `--max-old-space-size=${limits.memoryMb}`,
    `${SANDBOX_HOST_DIR}/sandbox/agent-host.js`,
    '--max-frame-bytes',
    String(limits.maxFrameBytes),
  ];
}

function bwrapArgs(hostDir: string, workspaceDir: string, nodePath: string): string[] {
  return [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    ...systemDirArgs(),
    ...(nodePath.startsWith('/usr/') ? [] : ['--ro-bind', nodePath, nodePath]),
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--ro-bind',
    hostDir,
    SANDBOX_HOST_DIR,
    '--ro-bind',
    workspaceDir,
    SANDBOX_WORKSPACE_DIR,
    '--remount-ro',
    '/',
    '--chdir',
    SANDBOX_WORKSPACE_DIR,
    '--setenv',
    'PATH',
    '/usr/bin:/bin',
    '--setenv',
    'HOME',
    '/tmp',
    // Node reads OpenSSL's config from /etc/ssl at start; there is no /etc/ssl in the sandbox.
    '--setenv',
    'OPENSSL_CONF',
    '/dev/null',
  ];
}

let seccompPath: string | null = null;

/** The seccomp program as a file (the relay opens it as the child's fd 3); written once per process. */
function seccompProgramFile(): string {
  if (seccompPath !== null) return seccompPath;
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-seccomp-'));
  const path = join(dir, `no-processes-${process.arch}.bpf`);
  writeFileSync(path, noProcessesSeccompProgram(), { mode: 0o444 });
  seccompPath = path;
  return path;
}

export function tier2Command(hostDir: string, workspaceDir: string, limits: SandboxLimits): SandboxCommand {
  const bwrap = requireExecutable(2, 'bwrap', 'bubblewrap');
  const prlimit = requireExecutable(2, 'prlimit', 'util-linux');
  const node = realpathSync(process.execPath);
  return {
    command: bwrap,
    args: [...bwrapArgs(hostDir, workspaceDir, node), '--seccomp', '3', '--', prlimit, ...nodeArgs(limits, node)],
    fd3Path: seccompProgramFile(),
  };
}

/** Seccomp in OCI form, for gVisor's `--oci-seccomp`: the same rule as tier 2's program (threads yes, processes no). */
function ociSeccomp(): unknown {
  const arch = process.arch === 'x64' ? 'SCMP_ARCH_X86_64' : process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : null;
  if (arch === null) throw new SandboxUnavailableError(3, `sandbox tier 3: no seccomp rule set for architecture ${process.arch}`);
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: [arch],
    // No clone3 rule: this gVisor has no clone3 (ENOSYS, so glibc uses clone), and an ERRNO rule for it would
    // answer EPERM, which glibc does not fall back from. If a later gVisor adds clone3, the escape spec's
    // spawn attempt fails and says so.
    syscalls: [
      { names: ['fork', 'vfork'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 0x10000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  };
}

/** The OCI bundle (config.json) gVisor runs: bwrap's root read-only, rlimits, no network, the seccomp rule. */
function ociConfig(limits: SandboxLimits, nodePath: string): unknown {
  const rlimit = (type: string, value: number) => ({ type, hard: value, soft: value });
  return {
    ociVersion: '1.0.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [nodePath, `--max-old-space-size=${limits.memoryMb}`, `${SANDBOX_HOST_DIR}/sandbox/agent-host.js`, '--max-frame-bytes', String(limits.maxFrameBytes)],
      env: ['PATH=/usr/bin:/bin', 'HOME=/tmp', 'OPENSSL_CONF=/dev/null'],
      cwd: SANDBOX_WORKSPACE_DIR,
      rlimits: [
        rlimit('RLIMIT_CPU', limits.cpuSec),
        rlimit('RLIMIT_AS', (limits.memoryMb + NODE_ADDRESS_SPACE_MB) * 1024 * 1024),
        rlimit('RLIMIT_CORE', 0),
      ],
      noNewPrivileges: true,
    },
    root: { path: '/', readonly: true },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      seccomp: ociSeccomp(),
    },
  };
}

export const SANDBOX_BUNDLE_DIR = '/sandbox/bundle';

export function tier3Command(hostDir: string, workspaceDir: string, limits: SandboxLimits): SandboxCommand {
  const bwrap = requireExecutable(3, 'bwrap', 'bubblewrap');
  const runsc = requireExecutable(3, 'runsc', 'runsc');
  const node = realpathSync(process.execPath);
  const bundleDir = mkdtempSync(join(tmpdir(), 'bulwark-gvisor-'));
  writeFileSync(join(bundleDir, 'config.json'), JSON.stringify(ociConfig(limits, node)), { mode: 0o644 });
  // runsc keeps its state in /tmp/runsc, which is the private /tmp of this one bwrap: a fixed container id is safe.
  const runscArgs = ['--rootless', '--network=none', '--ignore-cgroups', '--oci-seccomp', '--root', '/tmp/runsc', 'run', '--bundle', SANDBOX_BUNDLE_DIR, 'agent'];
  const base = bwrapArgs(hostDir, workspaceDir, node);
  const remount = base.indexOf('--remount-ro');
  const args = [...base.slice(0, remount), '--ro-bind', bundleDir, SANDBOX_BUNDLE_DIR, ...base.slice(remount)];
  return { command: bwrap, args: [...args, '--', runsc, ...runscArgs], fd3Path: null, tempDir: bundleDir };
}
