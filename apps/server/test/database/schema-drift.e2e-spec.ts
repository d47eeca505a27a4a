import { createDataSource } from '../../src/database';
import { ENTITIES } from '../../src/entities';
import { createTestDatabase } from '../../../../test-setup/test-database';

describe('migrations and entities', () => {
  it('agree: after migrating, TypeORM’s schema builder has nothing left to change', async () => {
    const db = await createTestDatabase();
    const ds = await createDataSource(db.url, 2, ENTITIES).initialize();
    try {
      const pending = (await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
      // Foreign keys live in the migrations only (entities keep plain id columns, no relations):
      // the builder proposes dropping them, and nothing else may differ.
      const foreignKeys = pending.filter((q) =>
        /^ALTER TABLE "\w+" DROP CONSTRAINT "\w+__fk"$/.test(q),
      );
      expect(pending.filter((q) => !foreignKeys.includes(q))).toEqual([]);
      expect(foreignKeys.length).toBeGreaterThan(0); // the filter above still sees them
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
