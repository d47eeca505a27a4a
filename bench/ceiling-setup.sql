-- The bare database ceiling of one refresh: the same tables' shape as Tessera's (sessions,
-- refresh_tokens with their unique indexes), 100 000 live tokens, each naming its session.
DROP TABLE IF EXISTS ceiling_tokens;
DROP TABLE IF EXISTS ceiling_sessions;
CREATE TABLE ceiling_sessions (
  id uuid PRIMARY KEY,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  idle_expires_at timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL
);
CREATE TABLE ceiling_tokens (
  id uuid PRIMARY KEY,
  family_id uuid NOT NULL,
  session_id uuid NOT NULL REFERENCES ceiling_sessions (id),
  token_hash bytea NOT NULL,
  generation integer NOT NULL,
  parent_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  idle_expires_at timestamptz NOT NULL,
  used_at timestamptz
);
INSERT INTO ceiling_sessions (id, idle_expires_at, absolute_expires_at)
  SELECT gen_random_uuid(), now() + interval '7 days', now() + interval '30 days' FROM generate_series(1, 100000);
INSERT INTO ceiling_tokens (id, family_id, session_id, token_hash, generation, idle_expires_at)
  SELECT gen_random_uuid(), gen_random_uuid(), s.id, sha256(int8send(row_number() OVER ())), 0, now() + interval '14 days'
  FROM ceiling_sessions s;
CREATE UNIQUE INDEX ceiling_tokens__token_hash ON ceiling_tokens (token_hash);
CREATE UNIQUE INDEX ceiling_tokens__parent_id ON ceiling_tokens (parent_id);
CREATE INDEX ceiling_tokens__family_id ON ceiling_tokens (family_id);
VACUUM ANALYZE ceiling_sessions;
VACUUM ANALYZE ceiling_tokens;
