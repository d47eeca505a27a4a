import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_CONTROLLERS } from './admin-controllers';
import { clientOperationsText, openApiDocument } from './openapi';

// `npm run generate:api` writes both files; this fails CI when either is stale.
const ROOT = join(__dirname, '../../../..');
const DOCUMENT_FILE = join(ROOT, 'apps/server/openapi/admin-api.json');
const CLIENT_TYPES_FILE = join(ROOT, 'apps/admin/src/api/schema.d.ts');

/** The committed document's text: two-space JSON and a final newline. */
const documentText = () => JSON.stringify(openApiDocument(ADMIN_CONTROLLERS), null, 2) + '\n';

/** The console's types, as openapi-typescript writes them from the committed document. */
const clientTypesText = () =>
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), DOCUMENT_FILE],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );

describe('the admin API document', () => {
  it('is committed as generated from the controllers (npm run generate:api)', () => {
    expect(readFileSync(DOCUMENT_FILE, 'utf8')).toBe(documentText());
  });

  it('has the console types generated from it committed (npm run generate:api)', () => {
    expect(readFileSync(CLIENT_TYPES_FILE, 'utf8')).toBe(clientTypesText());
  });

  it('has the console operation table generated from it committed (npm run generate:api)', () => {
    expect(readFileSync(join(ROOT, 'apps/admin/src/api/operations.ts'), 'utf8')).toBe(
      clientOperationsText(openApiDocument(ADMIN_CONTROLLERS)),
    );
  });

  it('names every route once, with a summary, a scope and the answers it gives', () => {
    const doc = openApiDocument(ADMIN_CONTROLLERS) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const ops = Object.values(doc.paths).flatMap((m) => Object.values(m));
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of ops) {
      expect(op.summary).toEqual(expect.any(String));
      expect(op.security).toEqual([{ bearer: [expect.stringMatching(/^admin:/)] }]);
      expect(Object.keys(op.responses as object)).toEqual(
        expect.arrayContaining(['400', '401', '403', '404']),
      );
    }
  });
});
