import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * A statement of a hot path (a refresh, an introspection), outside any transaction. On a PostgreSQL
 * server it runs as a named prepared statement, parsed and planned once per connection. The
 * embedded server multiplexes every connection onto one session, where names would collide
 * (STACK.md §2), so there it runs unnamed through TypeORM like every other query.
 */
export async function hotQuery<T>(
  dataSource: DataSource,
  embedded: boolean,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  if (embedded) return dataSource.manager.query(text, values);
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  return (await pool.query({ name, text, values })).rows as T[];
}
