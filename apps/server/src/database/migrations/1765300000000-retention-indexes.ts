import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the retention job looks rows up by: when a session, a family or a code expires or was
 * revoked, when a feed event expires, when an outbox row or an audit row was written. None of these
 * columns changes on a refresh, so the rows a refresh rewrites keep their heap-only (HOT) updates
 * (migration 1764500000000). On a large existing database each index is built while the migration
 * holds the table against writes: apply it in a quiet hour.
 */
export class RetentionIndexes1765300000000 implements MigrationInterface {
  name = 'RetentionIndexes1765300000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [name, table, column] of INDEXES)
      await q.query(`CREATE INDEX ${name} ON ${table} (${column})`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [name] of [...INDEXES].reverse()) await q.query(`DROP INDEX ${name}`);
  }
}

const INDEXES = [
  ['sessions__absolute_expires_at', 'sessions', 'absolute_expires_at'],
  ['sessions__revoked_at', 'sessions', 'revoked_at'],
  ['refresh_token_families__absolute_expires_at', 'refresh_token_families', 'absolute_expires_at'],
  ['refresh_token_families__revoked_at', 'refresh_token_families', 'revoked_at'],
  ['authorization_codes__expires_at', 'authorization_codes', 'expires_at'],
  ['revocation_events__expires_at', 'revocation_events', 'expires_at'],
  ['backchannel_deliveries__created_at', 'backchannel_deliveries', 'created_at'],
  ['audit_events__created_at', 'audit_events', 'created_at'],
] as const;
