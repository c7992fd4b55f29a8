import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Transpiles the store's real source (src/store, src/tokens and what they import) to plain ESM in
 * `outDir`, so a child `node` process runs exactly the repository code under test. Type-only, no
 * checking: `npx tsc --noEmit` does that. `node_modules` is linked so packages resolve.
 * Returns the path of the compiled `src/` folder.
 */
export function compileStoreForChild(outDir: string): string {
  const files = ['src/errors.ts', 'src/platform.ts', 'src/completion/types.ts'];
  for (const folder of ['src/store', 'src/tokens']) {
    for (const name of readdirSync(path.join(root, folder))) if (name.endsWith('.ts')) files.push(`${folder}/${name}`);
  }
  for (const file of files) {
    const source = readFileSync(path.join(root, file), 'utf8');
    const output = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = path.join(outDir, file.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, output.outputText);
  }
  writeFileSync(path.join(outDir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(path.join(root, 'node_modules'), path.join(outDir, 'node_modules'), 'dir');
  return path.join(outDir, 'src');
}
