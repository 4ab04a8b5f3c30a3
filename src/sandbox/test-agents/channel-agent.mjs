/* global setTimeout, console, TextEncoder */
// An agent for the tier-1 shared-memory channel specs: `spec.mode` picks how it answers. `gate` (a
// SharedArrayBuffer the spec holds; tier 1 receives it shared) holds decide until the spec opens it.
import { workerData } from 'node:worker_threads';

let spec = {};
let calls = 0;

/** Writes an answer into the channel's slot as the host would, with the fields a spec wants wrong. */
function forgeAnswer(kind, textBytes, text) {
  const buffer = workerData.channel;
  const control = new Int32Array(buffer, 0, 16);
  const numbersBytes = Math.floor((buffer.byteLength - 64) / 2 / 8) * 8;
  const numbers = new Float64Array(buffer, 64, numbersBytes / 8);
  const bytes = new Uint8Array(buffer, 64 + numbersBytes);
  const seq = Atomics.add(control, 1, 1) + 1;
  control[5] = kind;
  numbers[1] = numbers[0]; // the id of the request being answered
  numbers[2] = 0;
  control[7] = 0;
  bytes.set(new TextEncoder().encode(text));
  control[6] = textBytes;
  Atomics.store(control, 1, seq + 1);
  Atomics.notify(control, 1);
}

const modes = {
  echo: (obs, mask) => ({ action: mask.length - 1, info: { first: obs[0], n: obs.length, maskSum: mask.reduce((s, x) => s + x, 0) } }),
  async: (obs) => new Promise((resolve) => setTimeout(() => resolve({ action: 1, info: { awaited: obs[0] } }), 1)),
  gated: (obs) => {
    // Waits while the gate is 0: the supervisor sees no answer until the spec opens it.
    const gate = new Int32Array(spec.gate);
    Atomics.wait(gate, 0, 0);
    return { action: 1, info: { first: obs[0] } };
  },
  'slow-first': (obs) => {
    // Busy-waits `spec.slowMs` in its first decision and `spec.thenMs` in its second (in a child process there
    // is no gate to share), so the first's late answer comes well before the second's.
    calls++;
    const ms = calls === 1 ? spec.slowMs : calls === 2 ? spec.thenMs : 0;
    const until = Date.now() + ms;
    while (Date.now() < until);
    return { action: 1, info: { first: obs[0] } };
  },
  spin: () => {
    for (;;);
  },
  fraction: () => 1.5,
  'out-of-range': () => 7,
  'bad-target': () => ({ action: 1, target: 'x' }),
  throws: () => {
    throw new Error('decide failed on purpose');
  },
  'big-info': (obs) => ({ action: 1, info: { first: obs[0], text: 'x'.repeat(spec.infoChars) } }),
  print: (obs) => {
    console.log('y'.repeat(spec.lineChars));
    return { action: 1, info: { first: obs[0] } };
  },
  'forge-not-json': () => {
    forgeAnswer(1, 9, '{not json');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // never returns: only the forged answer exists
  },
  'forge-huge-length': () => {
    forgeAnswer(1, 1 << 30, '');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  },
  'forge-kind': () => {
    forgeAnswer(9, -1, '');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  },
};

export default {
  init(s) {
    spec = s;
  },
  decide(observation, mask) {
    return modes[spec.mode](observation, mask);
  },
};
