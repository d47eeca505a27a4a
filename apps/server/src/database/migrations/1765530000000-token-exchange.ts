import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 8693 token exchange: an application's policy (the resource servers it may exchange a user's
 * token for, their scopes, the deepest delegation chain) is a jsonb column of its row, not a table:
 * the token endpoint reads it with the application it already has in hand (one cached row, no
 * join), and it is only ever read and written whole, like the redirect URIs. Null: no exchange.
 */
export class TokenExchange1765530000000 implements MigrationInterface {
  name = 'TokenExchange1765530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE applications ADD COLUMN token_exchange jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE applications DROP COLUMN token_exchange`);
  }
}
