import type { DataSource } from 'typeorm';

/** What this instance is sending already, and how much of it each tenant and host may have. */
export interface InFlight {
  byTenant: ReadonlyMap<string, number>;
  byHost: ReadonlyMap<string, number>;
  perTenant: number;
  perHost: number;
}

/** The host of a target URI in SQL (registration refuses user information). */
const HOST_OF_URI = (uri: string) =>
  `lower(substring(${uri} from '^[^:]+://([[][^]]*[]]|[^/?#:]*)'))`;

/** How many due rows one claim looks at, oldest first, once the full tenants and hosts are left out. */
const CLAIM_WINDOW = 1000;

/**
 * One outbox table as its claim reads it: the rows (`status`, `next_attempt_at`, `attempts`,
 * `tenant_id`) joined to where they are sent. Every part is a constant of the repository.
 */
export interface OutboxTable {
  /** The outbox table, and its alias in the statement. */
  table: string;
  alias: string;
  /** The table of the targets with its alias, and how a row joins it. */
  target: string;
  join: string;
  /** The target's URI column: its host is what the per-host bound counts. */
  uri: string;
  /** Besides being due, what makes a row sendable (its target has an address, say). */
  sendable: string;
  /** What the leasing UPDATE checks of the target again. */
  lease: string;
  /** The columns the claimed rows answer with (their `host` is added). */
  returning: string;
}

/**
 * Claims due rows of an outbox by leasing them for 30 s (attempts + 1), in one short statement,
 * fairly: a tenant or a host gets no more than the room it has left (what is in flight counts), and
 * tenants take turns (each one's oldest first), so one whose receiver hangs cannot hold the others'
 * rows back. FOR UPDATE SKIP LOCKED: instances never send one row twice at once.
 */
export async function claimDue<Row>(
  dataSource: DataSource,
  t: OutboxTable,
  limit: number,
  inFlight: InFlight,
): Promise<Row[]> {
  const x = t.alias;
  const result = await dataSource.query(
    `WITH busy_tenants AS (SELECT * FROM unnest($2::uuid[], $3::int[]) AS b (tenant_id, n)),
          busy_hosts AS (SELECT * FROM unnest($4::text[], $5::int[]) AS b (host, n)),
          due AS (
            SELECT ${x}.id, ${x}.tenant_id, ${x}.next_attempt_at, ${HOST_OF_URI(t.uri)} AS host
            FROM ${t.table} ${x} JOIN ${t.target} ON ${t.join}
            WHERE ${x}.status = 'pending' AND ${x}.next_attempt_at <= now() AND ${t.sendable}
              AND ${x}.tenant_id NOT IN (SELECT tenant_id FROM busy_tenants WHERE n >= $6)
              AND ${HOST_OF_URI(t.uri)} NOT IN (SELECT host FROM busy_hosts WHERE n >= $7)
            ORDER BY ${x}.next_attempt_at LIMIT ${CLAIM_WINDOW}),
          ranked AS (
            SELECT due.id, due.next_attempt_at,
                   coalesce(bt.n, 0) + row_number() OVER (PARTITION BY due.tenant_id ORDER BY due.next_attempt_at) AS tenant_rank,
                   coalesce(bh.n, 0) + row_number() OVER (PARTITION BY due.host ORDER BY due.next_attempt_at) AS host_rank
            FROM due LEFT JOIN busy_tenants bt ON bt.tenant_id = due.tenant_id LEFT JOIN busy_hosts bh ON bh.host = due.host),
          picked AS (
            SELECT id FROM ranked WHERE tenant_rank <= $6 AND host_rank <= $7
            ORDER BY tenant_rank, next_attempt_at LIMIT $1)
     UPDATE ${t.table} ${x} SET next_attempt_at = now() + interval '30 seconds', attempts = ${x}.attempts + 1
     FROM ${t.target}
     WHERE ${x}.id IN (SELECT id FROM ${t.table} WHERE id IN (SELECT id FROM picked)
                      AND status = 'pending' AND next_attempt_at <= now() FOR UPDATE SKIP LOCKED)
       AND ${t.lease}
     RETURNING ${t.returning}, ${HOST_OF_URI(t.uri)} AS host`,
    [
      limit,
      [...inFlight.byTenant.keys()],
      [...inFlight.byTenant.values()],
      [...inFlight.byHost.keys()],
      [...inFlight.byHost.values()],
      inFlight.perTenant,
      inFlight.perHost,
    ],
  );
  return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as Row[]) : [];
}

/** A row sent: it is not claimed again. */
export async function markDelivered(
  dataSource: DataSource,
  table: string,
  id: string,
): Promise<void> {
  await dataSource.query(
    `UPDATE ${table} SET status = 'delivered', delivered_at = now(), last_error = NULL WHERE id = $1`,
    [id],
  );
}

/** A send that failed: due again in `retryInSeconds`, or, null, given up (`failed`). */
export async function markFailed(
  dataSource: DataSource,
  table: string,
  id: string,
  error: string,
  retryInSeconds: number | null,
): Promise<void> {
  await dataSource.query(
    `UPDATE ${table} SET last_error = $2,
       status = CASE WHEN $3::int IS NULL THEN 'failed' ELSE 'pending' END,
       next_attempt_at = CASE WHEN $3::int IS NULL THEN next_attempt_at ELSE now() + $3::int * interval '1 second' END
     WHERE id = $1`,
    [id, error.slice(0, 300), retryInSeconds],
  );
}
