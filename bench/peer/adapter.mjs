// A PostgreSQL adapter for oidc-provider (its whole adapter interface: upsert, find, findByUid,
// findByUserCode, consume, destroy, revokeByGrantId), on the same `pg` driver Tessera uses, with
// named (prepared) statements. One table for every model, keyed by (model, id).
import pg from 'pg';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_payloads (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_payloads_grant_id ON oidc_payloads (grant_id);
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (user_code);
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (uid);
`;

export function postgresAdapter(pool) {
  const q = (name, text, values) => pool.query({ name, text, values });
  const found = (rows) => {
    const r = rows[0];
    if (!r || (r.expires_at && r.expires_at <= new Date())) return undefined;
    return r.consumed_at
      ? { ...r.payload, consumed: Math.floor(r.consumed_at.getTime() / 1000) }
      : r.payload;
  };
  return class PostgresAdapter {
    constructor(model) {
      this.model = model;
    }

    async upsert(id, payload, expiresIn) {
      await q(
        'oidc_upsert',
        `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() + $7::int * interval '1 second' END)
         ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
           user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
        [
          this.model,
          id,
          payload,
          payload.grantId ?? null,
          payload.userCode ?? null,
          payload.uid ?? null,
          expiresIn ?? null,
        ],
      );
    }

    async find(id) {
      const { rows } = await q(
        'oidc_find',
        `SELECT payload, expires_at, consumed_at FROM oidc_payloads WHERE model = $1 AND id = $2`,
        [this.model, id],
      );
      return found(rows);
    }

    async findByUid(uid) {
      const { rows } = await q(
        'oidc_find_uid',
        `SELECT payload, expires_at, consumed_at FROM oidc_payloads WHERE model = $1 AND uid = $2`,
        [this.model, uid],
      );
      return found(rows);
    }

    async findByUserCode(userCode) {
      const { rows } = await q(
        'oidc_find_user_code',
        `SELECT payload, expires_at, consumed_at FROM oidc_payloads WHERE model = $1 AND user_code = $2`,
        [this.model, userCode],
      );
      return found(rows);
    }

    async consume(id) {
      await q(
        'oidc_consume',
        `UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2`,
        [this.model, id],
      );
    }

    async destroy(id) {
      await q('oidc_destroy', `DELETE FROM oidc_payloads WHERE model = $1 AND id = $2`, [
        this.model,
        id,
      ]);
    }

    async revokeByGrantId(grantId) {
      await q('oidc_revoke_grant', `DELETE FROM oidc_payloads WHERE grant_id = $1`, [grantId]);
    }
  };
}

export function createPool(url, max) {
  return new pg.Pool({ connectionString: url, max });
}
