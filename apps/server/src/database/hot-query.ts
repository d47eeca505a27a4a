import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { Statement } from './sql';

/**
 * A statement of a hot path (a refresh, an introspection), outside any transaction. With
 * `isNamed` it runs as a named prepared statement, parsed and planned once per connection: only on
 * a PostgreSQL server reached directly. Unnamed (through TypeORM like every other query):
 * - on the embedded server, which multiplexes every connection onto one session, where names
 *   would collide;
 * - behind a transaction-mode pooler (PgBouncer): each statement may land on another server
 *   session, one that never prepared the name ("prepared statement … does not exist") or that
 *   another client prepared it on ("… already exists"). PgBouncer 1.21+ with
 *   `max_prepared_statements` tracks protocol-level names itself; Tessera still sends them
 *   unnamed there, which is correct with every version.
 */
export async function hotQuery<T>(
  dataSource: DataSource,
  isNamed: boolean,
  { name, text }: Statement<T>,
  values: unknown[],
): Promise<T[]> {
  if (!isNamed) return dataSource.manager.query(text, values);
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

/** Whether hot statements may be named prepared statements (see hotQuery). */
export const namedStatementsAllowed = (c: {
  databaseUrl?: string;
  databaseDirectUrl?: string;
}): boolean => !!c.databaseUrl && !c.databaseDirectUrl;
