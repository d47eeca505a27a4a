import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 9126 pushed authorization requests: when the sign-in its request_uri opened issued a code, so
 * the sign-in form it carried is refused after that (one pushed request, one code).
 */
export class PushedRequestCompletion1765550000000 implements MigrationInterface {
  name = 'PushedRequestCompletion1765550000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE pushed_authorization_requests ADD COLUMN completed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE pushed_authorization_requests DROP COLUMN completed_at`);
  }
}
