/**
 * Starting a module of this package as a Node process of its own (a load generator, a probe): the built `.js`
 * beside the caller, or, when the caller itself runs from the TypeScript sources (the specs), the `.ts` file
 * under the transpile-only loader the specs use.
 */
import { fileURLToPath } from 'node:url';

/** The specs' transpile-only loader; only ever used when running from src/, where it exists. */
const SOURCE_LOADER = new URL('../risk-gatekeeper/test-helpers/register-ts.mjs', import.meta.url).href;

/** Node's arguments that run the module `name` (no extension) in the folder of `callerUrl` (its `import.meta.url`). */
export function siblingModuleArgs(callerUrl: string, name: string): string[] {
  if (!callerUrl.endsWith('.ts')) return [fileURLToPath(new URL(`./${name}.js`, callerUrl))];
  return ['--import', SOURCE_LOADER, fileURLToPath(new URL(`./${name}.ts`, callerUrl))];
}
