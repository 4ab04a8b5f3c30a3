/**
 * Picks the TensorFlow.js backend once per process: `@tensorflow/tfjs-node` when it is installed (an optional
 * dependency whose native download may have failed), otherwise `@tensorflow/tfjs-backend-wasm`, otherwise the
 * plain-JS 'cpu' backend. Every training run records the result in its metadata.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendInfo {
  /** The backend tfjs runs on now. */
  readonly name: BackendName;
  /** Why each faster backend was passed over, e.g. `tensorflow: @tensorflow/tfjs-node is not installed`. */
  readonly skipped: readonly string[];
  readonly tfjsVersion: string;
}

let chosen: Promise<BackendInfo> | null = null;

/** Selects (once) and returns the backend. Later calls with another preference get the first answer. */
export function initBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  if (!chosen) chosen = select(preference);
  return chosen;
}

async function select(preference: BackendPreference): Promise<BackendInfo> {
  // Prod mode skips per-op NaN checks and silences tfjs's "install tfjs-node" banner, which would corrupt --json output.
  tf.enableProdMode();
  const order: BackendName[] = preference === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [preference];
  const skipped: string[] = [];
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === null) return { name, skipped, tfjsVersion: tf.version.tfjs };
    skipped.push(`${name}: ${reason}`);
  }
  throw new Error(`backend: none of ${order.join(', ')} could be initialised (${skipped.join('; ')})`);
}

/** Returns null when `name` is now the active backend, else why not. */
async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    if (name === 'tensorflow') {
      // A variable specifier keeps TypeScript from requiring the optional package at compile time.
      const spec = '@tensorflow/tfjs-node';
      await import(spec);
    } else if (name === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Under Node the .wasm binaries are read from the package's dist folder on disk, never fetched.
      const require = createRequire(import.meta.url);
      const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(`${distDir}/`);
    }
    const ok = await tf.setBackend(name);
    if (!ok) return 'setBackend returned false';
    await tf.ready();
    return tf.getBackend() === name ? null : `active backend is ${tf.getBackend()}`;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return name === 'tensorflow' && /Cannot find (module|package)/.test(message)
      ? '@tensorflow/tfjs-node is not installed'
      : message;
  }
}
