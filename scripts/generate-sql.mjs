// Writes the SQL snapshots (apps/server/src/queries/*.sql) from the statements in the code; the
// spec beside them fails while one is stale. Loads the TypeScript sources through swc, as jest does.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { transformSync } = require('@swc/core');

// jest's own swc options for TypeScript
const [, swc] = require('../jest.config.js').transform['^.+\\.ts$'];
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swc, filename });
  module._compile(code, filename);
};
// the workspace packages as their sources, like the jest and tsconfig paths
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@tessera/contracts') return join(ROOT, 'libs/contracts/src/index.ts');
  return resolve.call(this, request, ...rest);
};

const dir = join(ROOT, 'apps/server/src/queries');
const { SNAPSHOTS, render } = require(join(dir, 'sql-snapshots.ts'));
for (const s of SNAPSHOTS) {
  writeFileSync(join(dir, s.file), render(s));
  console.log(`${s.file}: ${s.statements.length} statements`);
}
