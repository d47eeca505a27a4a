import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `tenants.access_tokens_live_until`: the latest expiry of an access token the tenant may have
 * minted under a lifetime it has since shortened or removed (of the tenant, one of its applications
 * or resource servers, changed or deleted). A revocation event is kept at least that long
 * (RevocationRepository.insertEvent), so a token minted for ten minutes is still cut after its
 * application was changed to one. Kept by a trigger on the three tables, so that every way of
 * changing a lifetime, today's and tomorrow's, records it; it counts 30 s more for an instance that
 * still mints with the old lifetime from its cached configuration (ConfigCache).
 */
export class LoweredLifetimes1765400000000 implements MigrationInterface {
  name = 'LoweredLifetimes1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN access_tokens_live_until timestamptz`);
    // TG_ARGV[0]: the column of the changed row naming its tenant
    await q.query(
      `CREATE FUNCTION tessera_access_token_lifetime_lowered() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF OLD.access_token_ttl IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.access_token_ttl IS NULL
             OR NEW.access_token_ttl < OLD.access_token_ttl) THEN
           UPDATE tenants SET access_tokens_live_until = GREATEST(access_tokens_live_until,
             now() + (OLD.access_token_ttl + 30) * interval '1 second')
           WHERE id = (to_jsonb(OLD) ->> TG_ARGV[0])::uuid;
         END IF;
         RETURN NULL;
       END $$`,
    );
    for (const [table, tenantColumn] of TABLES)
      await q.query(
        `CREATE TRIGGER ${table}__access_token_lifetime_lowered
         AFTER UPDATE OF access_token_ttl OR DELETE ON ${table}
         FOR EACH ROW EXECUTE FUNCTION tessera_access_token_lifetime_lowered('${tenantColumn}')`,
      );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table] of TABLES)
      await q.query(`DROP TRIGGER ${table}__access_token_lifetime_lowered ON ${table}`);
    await q.query(`DROP FUNCTION tessera_access_token_lifetime_lowered()`);
    await q.query(`ALTER TABLE tenants DROP COLUMN access_tokens_live_until`);
  }
}

const TABLES = [
  ['tenants', 'id'],
  ['applications', 'tenant_id'],
  ['resource_servers', 'tenant_id'],
] as const;
