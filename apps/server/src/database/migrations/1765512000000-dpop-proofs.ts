import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 9449 §11.1: the DPoP proofs seen at the token endpoint, so one is refused the second time
 * on any instance. A row only needs to outlive the proof's acceptance window (`expires_at`); the
 * retention job deletes it after. No foreign key to the tenant: the insert of every proof would
 * lock the tenant's row for share, and a deleted tenant's rows expire within minutes anyway.
 */
export class DpopProofs1765512000000 implements MigrationInterface {
  name = 'DpopProofs1765512000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dpop_proofs (
        tenant_id uuid NOT NULL,
        proof_hash bytea NOT NULL,
        expires_at timestamptz NOT NULL,
        CONSTRAINT dpop_proofs__pk PRIMARY KEY (tenant_id, proof_hash)
      )`);
    await q.query(`CREATE INDEX dpop_proofs__expires_at ON dpop_proofs (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dpop_proofs`);
  }
}
