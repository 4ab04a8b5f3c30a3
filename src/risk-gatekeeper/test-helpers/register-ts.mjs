// `node --import <this file> some.ts`: runs the project's TypeScript sources directly (child processes in
// specs), so the specs never depend on a possibly stale dist/. Transpile only; type-checking is tsc's job.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
