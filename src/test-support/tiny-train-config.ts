import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TinyTrainOverrides {
  readonly epochs?: number;
  readonly checkpointEvery?: number;
  /** Extra lines under `train:`, `task:` and at the top level. */
  readonly train?: string;
  readonly task?: string;
  readonly top?: string;
}

/**
 * Writes `DIR/NAME.yaml`, a tiny seeded training run for the train specs: 2 envs × 16 steps per epoch, one hidden
 * layer of 8, one pass of 2 minibatches. Returns its path.
 */
export function writeTinyTrainConfig(dir: string, name: string, overrides: TinyTrainOverrides = {}): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      'train:',
      '  algorithm: ppo-lag',
      '  seed: 1',
      `  epochs: ${overrides.epochs ?? 2}`,
      '  numEnvs: 2',
      '  rolloutSteps: 16',
      '  hiddenSizes: [8]',
      '  updateEpochs: 1',
      '  numMinibatches: 2',
      '  costLimit: 1',
      // A fast λ so the resume spec compares a λ that moves every epoch.
      '  lambdaLr: 0.5',
      overrides.train ?? '',
      'task:',
      overrides.task ?? '  data: regime:bars=600,seed=3',
      '  env:',
      '    episodeLength: 16',
      '    windowSize: 4',
      // A margin account: the seeded policy's shorts are what make cost (a cash account refuses them).
      '    account: { type: margin, leverage: 2 }',
      `checkpointEvery: ${overrides.checkpointEvery ?? 2}`,
      overrides.top ?? '',
    ].join('\n'),
  );
  return path;
}
