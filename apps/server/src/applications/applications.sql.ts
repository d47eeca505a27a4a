/**
 * The statements ApplicationsRepository writes by hand; snapshotted in
 * `src/queries/applications.repository.sql` (`npm run generate:sql`). Its other queries are
 * TypeORM's, from the Application entity.
 */
import { sql } from '../database';

/**
 * $1 tenant, $2 application: a cut of its tokens was just written, so its tokens are stamped after
 * it from now on. Read after the cut (clock_timestamp()), and at least a second past the previous
 * stamp's second, so never before it.
 */
export const STAMP_TOKENS_AFTER_CUT = sql('tessera_stamp_tokens_after_cut')`
  UPDATE applications SET tokens_issued_after =
    GREATEST(clock_timestamp(), date_trunc('second', tokens_issued_after) + interval '1 second')
  WHERE tenant_id = $1 AND id = $2
`;

/**
 * $1 client id, $2 redirect URIs, $3 post-logout redirect URIs (JSON arrays): the live tenants
 * without a public client of this id registered with exactly these URIs.
 */
export const TENANTS_LACKING = sql<{ id: string }>('tessera_tenants_lacking_public_client')`
  SELECT t.id FROM tenants t WHERE t.deleted_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM applications a WHERE a.tenant_id = t.id AND a.client_id = $1 AND a.type = 'public'
      AND a.redirect_uris = $2::jsonb AND a.post_logout_redirect_uris = $3::jsonb)
`;
