import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 9449 per application: `require_dpop` refuses token requests without a DPoP proof;
 * `dpop_nonces` makes every proof carry a nonce the server issued (§8).
 */
export class DpopSettings1765510000000 implements MigrationInterface {
  name = 'DpopSettings1765510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE applications
         ADD COLUMN require_dpop boolean NOT NULL DEFAULT false,
         ADD COLUMN dpop_nonces boolean NOT NULL DEFAULT false`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE applications DROP COLUMN require_dpop, DROP COLUMN dpop_nonces`);
  }
}
