// A training thread that crashes instead of training (train-tier.test.ts): workerData.run.config says how.
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';

parentPort.postMessage({ t: 'log', line: 'backend: cpu' });
const how = workerData.run.config;
if (how === 'throw') setTimeout(() => {
  throw new Error('boom in the training thread');
}, 0);
else if (how === 'exit') process.exit(3);
