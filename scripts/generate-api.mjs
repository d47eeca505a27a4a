// node scripts/generate-api.mjs (npm run generate:api, after building the server): writes the admin
// API's OpenAPI document, generated from the built controllers, and the console's client types and
// operation table, generated from that document. Both are committed; apps/server/src/admin/openapi.spec.ts fails
// when either differs from what this writes.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
require('reflect-metadata'); // the decorators record their metadata as the classes load
const server = join(root, 'dist/apps/server');
const { ADMIN_CONTROLLERS } = require(join(server, 'admin/admin-controllers.js'));
const { openApiDocument, clientOperationsText } = require(join(server, 'admin/openapi.js'));

const documentFile = join(root, 'apps/server/openapi/admin-api.json');
const document = openApiDocument(ADMIN_CONTROLLERS);
writeFileSync(documentFile, JSON.stringify(document, null, 2) + '\n');
writeFileSync(join(root, 'apps/admin/src/api/operations.ts'), clientOperationsText(document));
const types = execFileSync(
  process.execPath,
  [join(root, 'node_modules/openapi-typescript/bin/cli.js'), documentFile],
  { encoding: 'utf8' },
);
writeFileSync(join(root, 'apps/admin/src/api/schema.d.ts'), types);
console.log(
  'wrote apps/server/openapi/admin-api.json and apps/admin/src/api/{schema.d.ts,operations.ts}',
);
