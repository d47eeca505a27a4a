import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenID Shared Signals Framework 1.0: a tenant's event streams (`ssf_streams`, each owned by the
 * application that created it), the subjects added to a stream (`ssf_stream_subjects`), and the
 * outbox of Security Event Tokens (`ssf_events`), one row per stream and event, written in the
 * transaction that records what happened and kept until it is acknowledged (poll) or accepted
 * (push).
 */
export class SharedSignals1765540000000 implements MigrationInterface {
  name = 'SharedSignals1765540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ssf_streams (
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        application_id uuid NOT NULL,
        audience text NOT NULL,
        events_requested text[] NOT NULL DEFAULT '{}',
        events_delivered text[] NOT NULL DEFAULT '{}',
        delivery_method text NOT NULL,
        endpoint_url text,
        authorization_header bytea,
        description text,
        status text NOT NULL DEFAULT 'enabled',
        status_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ssf_streams__pk PRIMARY KEY (id),
        CONSTRAINT ssf_streams__tenant_id__fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ssf_streams__application_id__fk FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE,
        CONSTRAINT ssf_streams__delivery_method CHECK (delivery_method IN ('urn:ietf:rfc:8935', 'urn:ietf:rfc:8936')),
        CONSTRAINT ssf_streams__status CHECK (status IN ('enabled', 'paused', 'disabled'))
      )`);
    await q.query(
      `CREATE INDEX ssf_streams__tenant_id__application_id ON ssf_streams (tenant_id, application_id)`,
    );
    await q.query(`
      CREATE TABLE ssf_stream_subjects (
        stream_id uuid NOT NULL,
        format text NOT NULL,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ssf_stream_subjects__pk PRIMARY KEY (stream_id, format, value),
        CONSTRAINT ssf_stream_subjects__stream_id__fk FOREIGN KEY (stream_id) REFERENCES ssf_streams (id) ON DELETE CASCADE,
        CONSTRAINT ssf_stream_subjects__format CHECK (format IN ('iss_sub', 'email'))
      )`);
    await q.query(`
      CREATE TABLE ssf_events (
        id bigserial NOT NULL,
        jti uuid NOT NULL,
        tenant_id uuid NOT NULL,
        stream_id uuid NOT NULL,
        event_type text NOT NULL,
        subject jsonb NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        CONSTRAINT ssf_events__pk PRIMARY KEY (id),
        CONSTRAINT ssf_events__stream_id__fk FOREIGN KEY (stream_id) REFERENCES ssf_streams (id) ON DELETE CASCADE,
        CONSTRAINT ssf_events__status CHECK (status IN ('pending', 'delivered', 'failed'))
      )`);
    await q.query(
      `CREATE INDEX ssf_events__stream_id__id__pending ON ssf_events (stream_id, id) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX ssf_events__next_attempt_at__pending ON ssf_events (next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(`CREATE INDEX ssf_events__created_at ON ssf_events (created_at)`);
    await q.query(`CREATE UNIQUE INDEX ssf_events__jti ON ssf_events (jti)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ssf_events`);
    await q.query(`DROP TABLE ssf_stream_subjects`);
    await q.query(`DROP TABLE ssf_streams`);
  }
}
