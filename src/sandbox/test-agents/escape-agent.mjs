/* global process, Buffer, setTimeout, clearTimeout */
// Agent code that tries to escape its sandbox, one attempt per session (`spec.attempt`). Each attempt answers
// `{ action: 0, info: { outcome: 'blocked' | 'succeeded', detail } }` when it finishes; the attempts that
// exhaust a resource never finish on their own, and the supervisor has to stop them.
import { spawnSync } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';

let spec = null;

const code = (err) => (err && typeof err === 'object' && 'code' in err ? String(err.code) : String(err));
const blocked = (detail) => ({ outcome: 'blocked', detail });
const succeeded = (detail) => ({ outcome: 'succeeded', detail });

function tryConnect(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(blocked('timeout'));
    }, 1500);
    socket.on('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve(succeeded(`connected to 127.0.0.1:${port}`));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve(blocked(code(err)));
    });
  });
}

const attempts = {
  'read-keys': () => {
    try {
      return succeeded(`read ${readFileSync(spec.keyFile, 'utf8').length} bytes`);
    } catch (err) {
      return blocked(code(err));
    }
  },
  'read-shadow': () => {
    try {
      return succeeded(`read ${readFileSync('/etc/shadow', 'utf8').length} bytes`);
    } catch (err) {
      return blocked(code(err));
    }
  },
  'write-outside': () => {
    const results = [];
    for (const path of [spec.outsideFile, `${spec.workspaceFile}`]) {
      try {
        writeFileSync(path, 'escaped');
        results.push(succeeded(`wrote ${path}`));
      } catch (err) {
        results.push(blocked(code(err)));
      }
    }
    return results.find((r) => r.outcome === 'succeeded') ?? blocked(results.map((r) => r.detail).join(', '));
  },
  'connect-redis': () => tryConnect(spec.redisPort),
  'connect-gateway': () => tryConnect(spec.gatewayPort),
  'resolve-name': async () => {
    const tries = [
      dns.lookup('localhost').then((r) => `localhost -> ${r.address}`),
      Promise.race([dns.resolve4('example.com').then((r) => `example.com -> ${r[0]}`), new Promise((_, rej) => setTimeout(() => rej(Object.assign(new Error('t'), { code: 'TIMEOUT' })), 1500))]),
    ];
    const settled = await Promise.allSettled(tries);
    const ok = settled.find((s) => s.status === 'fulfilled');
    return ok ? succeeded(ok.value) : blocked(settled.map((s) => code(s.reason)).join(', '));
  },
  'spawn-child': () => {
    const r = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
    return r.error ? blocked(code(r.error)) : r.status === 0 ? succeeded('child exited 0') : blocked(`child status ${r.status}`);
  },
  'signal-parent': () => {
    try {
      process.kill(spec.supervisorPid, 0); // signal 0: checks that a real signal would be delivered
      return succeeded(`may signal pid ${spec.supervisorPid}`);
    } catch (err) {
      return blocked(code(err));
    }
  },
  'exhaust-memory': () => {
    const hold = [];
    for (let i = 0; i < 512; i++) hold.push(new Array(1 << 20).fill(i + 0.5)); // 512 × 8 MiB of heap
    return succeeded(`held ${hold.length * 8} MiB`);
  },
  'spin-forever': () => {
    for (;;);
  },
  'stdout-gigabytes': () => {
    const chunk = Buffer.alloc(1 << 20, 0x41);
    for (let i = 0; i < 4096; i++) process.stdout.write(chunk);
    for (let i = 0; i < 4096; i++) writeSync(1, chunk);
    return succeeded('wrote 8 GiB');
  },
  'frame-1gb': () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1 << 30, 0);
    writeSync(1, header);
    const chunk = Buffer.alloc(1 << 20, 0x20);
    for (let i = 0; i < 1024; i++) writeSync(1, chunk);
    return succeeded('sent a 1 GiB frame');
  },
};

export default {
  init(s) {
    spec = s;
  },
  // Synchronous where the attempt is (tier 0 calls decide without awaiting), a promise where it is not.
  decide() {
    const attempt = attempts[spec.attempt];
    if (!attempt) throw new Error(`unknown attempt ${spec.attempt}`);
    const info = attempt();
    return info instanceof Promise ? info.then((i) => ({ action: 0, info: i })) : { action: 0, info };
  },
};
