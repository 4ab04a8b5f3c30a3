/** `node --import ./src/test-support/ts-register.mjs FILE.ts`: runs TypeScript sources (see ts-hooks.mjs). */
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
