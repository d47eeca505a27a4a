import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * A statement of a hot path (a refresh, an introspection), outside any transaction. On a PostgreSQL
 * server it runs as a named prepared statement, parsed and planned once per connection. The
 * embedded server multiplexes every connection onto one session, where names would collide
 * (one backend serves every connection), so there it runs unnamed through TypeORM like every other query.
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
  try {
    return (await pool.query({ name, text, values })).rows as T[];
  } catch (err) {
    // the name is taken in this session although this connection never prepared it: a server that
    // shares one session between connections (the embedded one reached by its URL, as the tests
    // do), where an earlier process or connection prepared it. Unnamed, as in embedded mode.
    if ((err as { code?: string }).code !== '42P05') throw err;
    return (await pool.query(text, values)).rows as T[];
  }
}
