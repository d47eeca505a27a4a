import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render, SNAPSHOTS } from './sql-snapshots';

describe('the SQL snapshots', () => {
  it.each(SNAPSHOTS.map((s) => [s.file, s] as const))(
    '%s is the SQL the code sends (else run npm run generate:sql and review the diff)',
    (file, s) => {
      expect(readFileSync(join(__dirname, file), 'utf8')).toBe(render(s));
    },
  );

  it('names every statement once: a name is a prepared statement on a direct connection', () => {
    const names = SNAPSHOTS.flatMap((s) => s.statements.map((q) => q.name));
    expect(new Set(names).size).toBe(names.length);
  });
});
