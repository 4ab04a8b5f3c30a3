/**
 * Node module hooks that run the TypeScript sources directly, for tests that spawn the CLI as a real process
 * (signals, exit codes) without depending on a fresh `npm run build`: `./x.js` imports resolve to `./x.ts` where
 * only the source exists, and `.ts` files are transpiled (types erased) with the project's own TypeScript.
 * Use: `node --import ./src/test-support/ts-register.mjs src/cli/main.ts …`.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';
import ts from 'typescript';

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/')) && context.parentURL?.endsWith('.ts')) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(candidate)) && !existsSync(fileURLToPath(new URL(specifier, context.parentURL)))) {
      return { url: candidate.href, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false, isolatedModules: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
