/**
 * The statements KeysRepository writes by hand; snapshotted in `src/queries/keys.repository.sql`
 * (`npm run generate:sql`). Its other queries are TypeORM's, from the SigningKey entity.
 */
import { sql } from '../database';

/** $1 tenant: serialises the tenant's key rotations for the rest of the transaction. */
export const LOCK_TENANT_KEYS = sql('tessera_lock_tenant_keys')`
  SELECT pg_advisory_xact_lock(hashtext('signing_keys:' || $1))
`;

/** $1 channel, $2 tenant: every instance drops its cached keys of the tenant on commit. */
export const ANNOUNCE_KEYS = sql('tessera_announce_keys')`
  SELECT pg_notify($1, $2)
`;
