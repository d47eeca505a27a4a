import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What users hold per resource server, and resource servers' own credentials (for introspection). */
export class Permissions1764200000000 implements MigrationInterface {
  name = 'Permissions1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_permissions (
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        resource_server_id uuid NOT NULL,
        scopes jsonb NOT NULL,
        permission_groups jsonb NOT NULL,
        CONSTRAINT user_permissions__pk PRIMARY KEY (user_id, resource_server_id),
        CONSTRAINT user_permissions__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT user_permissions__user_id__fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT user_permissions__resource_server_id__fk FOREIGN KEY (resource_server_id) REFERENCES resource_servers (id) ON DELETE CASCADE
      )`);
    await q.query(`ALTER TABLE resource_servers ADD COLUMN client_id text`);
    await q.query(`ALTER TABLE resource_servers ADD COLUMN secret_hash bytea`);
    await q.query(
      `CREATE UNIQUE INDEX resource_servers__tenant_id__client_id ON resource_servers (tenant_id, client_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX resource_servers__tenant_id__client_id`);
    await q.query(`ALTER TABLE resource_servers DROP COLUMN secret_hash`);
    await q.query(`ALTER TABLE resource_servers DROP COLUMN client_id`);
    await q.query(`DROP TABLE user_permissions`);
  }
}
