import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 9449 §5: a public client's refresh tokens are bound to the key of the DPoP proof that
 * redeemed the code; the family keeps that key's RFC 7638 thumbprint (null: not bound).
 */
export class DpopBoundFamilies1765511000000 implements MigrationInterface {
  name = 'DpopBoundFamilies1765511000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_token_families ADD COLUMN dpop_jkt text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_token_families DROP COLUMN dpop_jkt`);
  }
}
