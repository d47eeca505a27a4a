import { eventually, signIn, useTestServer, type TestServer } from '../support/harness';
import { eventOf, PushEndpoint, SsfReceiver } from '../support/ssf-receiver';

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
const TOKEN_CLAIMS_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/token-claims-change';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';
const SSF_API = 'urn:tessera:ssf';
const CB = 'https://app.example.test/cb';

/** A tenant with a receiver application (SSF scopes by client_credentials), a web app and a user. */
async function world(
  t: TestServer,
  scopes = ['ssf:streams:read', 'ssf:streams:write'],
  tenant: Record<string, unknown> = {},
) {
  const { slug } = await t.given.tenant(tenant);
  const receiverApp = await t.given.app(slug, {
    grants: [{ resourceServer: SSF_API, scopes, flows: ['client_credentials'] }],
  });
  const web = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [CB],
  });
  const user = await t.given.user(slug);
  const receiver = await new SsfReceiver(t.url, t.issuer(slug)).discover();
  const tokenOf = async (app: { clientId: string; secret: string }, scope?: string) => {
    const res = await t.token(
      slug,
      { grant_type: 'client_credentials', resource: SSF_API, ...(scope ? { scope } : {}) },
      app,
    );
    if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
    return res.body.access_token as string;
  };
  const token = await tokenOf(receiverApp);
  const session = async () =>
    (
      await signIn(t, slug, {
        app: web,
        redirectUri: CB,
        email: user.email,
        password: user.password,
      })
    ).sid;
  return { slug, receiverApp, web, user, receiver, token, tokenOf, session };
}

type World = Awaited<ReturnType<typeof world>>;

async function pollStream(w: World, events = [SESSION_REVOKED]) {
  const res = await w.receiver.createStream(w.token, {
    events_requested: events,
    delivery: { method: POLL },
  });
  expect(res.status).toBe(201);
  return res.body as { stream_id: string; aud: string; delivery: { endpoint_url: string } };
}

describe('Shared Signals transmitter: configuration and streams (SSF 1.0)', () => {
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
  let w: World;

  beforeAll(async () => {
    w = await world(t);
  });

  it('publishes its metadata with the well-known path inserted before the issuer’s path (§7.2.1)', async () => {
    const issuer = t.issuer(w.slug);
    expect(w.receiver.metadata).toEqual({
      spec_version: '1_0',
      issuer,
      jwks_uri: `${issuer}/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${issuer}/ssf/streams`,
      status_endpoint: `${issuer}/ssf/status`,
      add_subject_endpoint: `${issuer}/ssf/subjects/add`,
      remove_subject_endpoint: `${issuer}/ssf/subjects/remove`,
      verification_endpoint: `${issuer}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
      events_supported: expect.arrayContaining([SESSION_REVOKED, CREDENTIAL_CHANGE]),
    });
    // not appended to the issuer (that is OpenID Connect Discovery's rule, not SSF's)
    expect((await t.get(`/t/${w.slug}/.well-known/ssf-configuration`)).status).toBe(404);
    expect((await t.get(`/.well-known/ssf-configuration/t/no-such-tenant`)).status).toBe(404);
  });

  it('creates, reads, updates, replaces and deletes a stream; delivers only supported events', async () => {
    const created = await w.receiver.createStream(w.token, {
      events_requested: [SESSION_REVOKED, 'urn:example:not-supported'],
      delivery: { method: POLL },
      description: 'first',
    });
    expect(created.status).toBe(201);
    const id = created.body.stream_id;
    expect(created.body).toEqual({
      stream_id: expect.any(String),
      iss: t.issuer(w.slug),
      aud: w.receiverApp.clientId,
      events_supported: expect.arrayContaining([SESSION_REVOKED]),
      events_requested: [SESSION_REVOKED, 'urn:example:not-supported'],
      events_delivered: [SESSION_REVOKED],
      delivery: { method: POLL, endpoint_url: `${t.issuer(w.slug)}/ssf/streams/${id}/poll` },
      description: 'first',
    });
    const endpoint = w.receiver.metadata.configuration_endpoint;
    const one = await w.receiver.call('GET', `${endpoint}?stream_id=${id}`, w.token);
    expect(one.body).toEqual(created.body);
    const all = await w.receiver.call('GET', endpoint, w.token);
    expect(all.body).toContainEqual(created.body);

    const patched = await w.receiver.call('PATCH', endpoint, w.token, {
      stream_id: id,
      events_requested: [CREDENTIAL_CHANGE],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual(
      expect.objectContaining({ events_delivered: [CREDENTIAL_CHANGE], description: 'first' }),
    );
    const replaced = await w.receiver.call('PUT', endpoint, w.token, {
      stream_id: id,
      delivery: { method: POLL },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.events_delivered).toEqual([]);
    expect(replaced.body.description).toBeUndefined();

    const status = w.receiver.metadata.status_endpoint;
    expect((await w.receiver.call('GET', `${status}?stream_id=${id}`, w.token)).body).toEqual({
      stream_id: id,
      status: 'enabled',
    });
    const paused = await w.receiver.call('POST', status, w.token, {
      stream_id: id,
      status: 'paused',
      reason: 'maintenance',
    });
    expect(paused.body).toEqual({ stream_id: id, status: 'paused', reason: 'maintenance' });

    expect((await w.receiver.call('DELETE', `${endpoint}?stream_id=${id}`, w.token)).status).toBe(
      204,
    );
    expect((await w.receiver.call('GET', `${endpoint}?stream_id=${id}`, w.token)).status).toBe(404);
    expect(await t.sql(`SELECT 1 FROM ssf_streams WHERE id = $1`, [id])).toEqual([]);
  });

  it('delivers session-revoked with the session’s sid by poll; each SET stays until acknowledged', async () => {
    const stream = await pollStream(w);
    const sid = await w.session();
    await t.revokeSession(w.slug, sid);

    const first = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    expect(first.status).toBe(200);
    expect(first.sets.size).toBe(1);
    const [jti, set] = [...first.sets][0];
    expect(set.sub_id).toEqual({
      format: 'complex',
      user: { format: 'iss_sub', iss: t.issuer(w.slug), sub: w.user.id },
      session: { format: 'opaque', id: sid },
    });
    const [type, event] = eventOf(set);
    expect(type).toBe(SESSION_REVOKED);
    expect(event).toEqual(
      expect.objectContaining({ event_timestamp: expect.any(Number), initiating_entity: 'admin' }),
    );

    // not acknowledged: delivered again, the same SET (same jti)
    const again = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    expect([...again.sets.keys()]).toEqual([jti]);

    // acknowledged: never again
    const acked = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud, {
      ack: [jti],
    });
    expect(acked.sets.size).toBe(0);
    expect(acked.moreAvailable).toBe(false);
    expect(
      (await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud)).sets.size,
    ).toBe(0);
    expect(await t.sql(`SELECT status FROM ssf_events WHERE jti = $1`, [jti])).toEqual([
      { status: 'delivered' },
    ]);
  });

  it('answers a verification request with a verification event carrying the state (§8.1.4)', async () => {
    const stream = await pollStream(w);
    const res = await w.receiver.call('POST', w.receiver.metadata.verification_endpoint, w.token, {
      stream_id: stream.stream_id,
      state: 'VGhpcyBpcyBhbiBleGFtcGxl',
    });
    expect(res.status).toBe(204);
    const polled = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    expect(polled.sets.size).toBe(1);
    const set = [...polled.sets.values()][0];
    expect(set.sub_id).toEqual({ format: 'opaque', id: stream.stream_id });
    expect(eventOf(set)).toEqual([VERIFICATION, { state: 'VGhpcyBpcyBhbiBleGFtcGxl' }]);
  });

  it('does not deliver event types the stream did not request, nor unsupported ones', async () => {
    const credentialsOnly = await pollStream(w, [CREDENTIAL_CHANGE]);
    const unsupportedOnly = await pollStream(w, ['urn:example:not-supported']);
    const sid = await w.session();
    await t.revokeSession(w.slug, sid);
    for (const s of [credentialsOnly, unsupportedOnly]) {
      expect((await w.receiver.poll(w.token, s.delivery.endpoint_url, s.aud)).sets.size).toBe(0);
      expect(await t.sql(`SELECT 1 FROM ssf_events WHERE stream_id = $1`, [s.stream_id])).toEqual(
        [],
      );
    }
    // a password set anew is a credential change of the user
    const other = await t.given.user(w.slug);
    const changed = await t.json(
      'PATCH',
      `/admin/api/tenants/${w.slug}/users/${other.id}`,
      { password: 'another long enough password' },
      await t.adminToken(),
    );
    expect(changed.status).toBe(200);
    const polled = await w.receiver.poll(
      w.token,
      credentialsOnly.delivery.endpoint_url,
      credentialsOnly.aud,
    );
    expect([...polled.sets.values()].map((s) => [s.sub_id, eventOf(s)])).toEqual([
      [
        { format: 'iss_sub', iss: t.issuer(w.slug), sub: other.id },
        [
          CREDENTIAL_CHANGE,
          {
            event_timestamp: expect.any(Number),
            credential_type: 'password',
            change_type: 'update',
          },
        ],
      ],
    ]);
  });

  it('delivers token-claims-change for new permissions and credential-change for a regenerated client secret', async () => {
    const stream = await pollStream(w, [TOKEN_CLAIMS_CHANGE, CREDENTIAL_CHANGE]);
    const rs = await t.given.resourceServer(w.slug, {
      scopes: [{ name: 'orders:read', description: 'Read orders' }],
    });
    const other = await t.given.user(w.slug);
    const perms = [{ resourceServer: rs.identifier, scopes: ['orders:read'] }];
    const root = await t.adminToken();
    const path = `/admin/api/tenants/${w.slug}/users/${other.id}/permissions`;
    expect((await t.json('PUT', path, perms, root)).status).toBe(200);
    const rotated = await t.given.app(w.slug);
    const secret = await t.json(
      'POST',
      `/admin/api/tenants/${w.slug}/applications/${rotated.clientId}/secret`,
      undefined,
      root,
    );
    expect(secret.status).toBe(200);

    const polled = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    const issuer = t.issuer(w.slug);
    expect([...polled.sets.values()].map((s) => [s.sub_id, eventOf(s)])).toEqual([
      [
        { format: 'iss_sub', iss: issuer, sub: other.id },
        [
          TOKEN_CLAIMS_CHANGE,
          { event_timestamp: expect.any(Number), claims: { permissions: perms } },
        ],
      ],
      [
        { format: 'iss_sub', iss: issuer, sub: rotated.clientId },
        [
          CREDENTIAL_CHANGE,
          {
            event_timestamp: expect.any(Number),
            credential_type: 'client_secret',
            change_type: 'update',
          },
        ],
      ],
    ]);
  });

  it('delivers only the added subjects’ events once a subject is added (§8.1.3)', async () => {
    const stream = await pollStream(w);
    const other = await t.given.user(w.slug);
    const add = await w.receiver.call('POST', w.receiver.metadata.add_subject_endpoint, w.token, {
      stream_id: stream.stream_id,
      subject: { format: 'email', email: other.email.toUpperCase() },
    });
    expect(add.status).toBe(200);
    await t.revokeSession(w.slug, await w.session()); // not the added subject
    expect(
      (await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud)).sets.size,
    ).toBe(0);
    const remove = await w.receiver.call(
      'POST',
      w.receiver.metadata.remove_subject_endpoint,
      w.token,
      { stream_id: stream.stream_id, subject: { format: 'email', email: other.email } },
    );
    expect(remove.status).toBe(204);
    const sid = await w.session(); // no subject left: every subject again
    await t.revokeSession(w.slug, sid);
    const polled = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    expect([...polled.sets.values()].map((s) => s.sub_id.session.id)).toEqual([sid]);
  });

  it('pushes session-revoked as application/secevent+jwt with the receiver’s Authorization; retries until 202 (RFC 8935)', async () => {
    const endpoint = await new PushEndpoint().start();
    try {
      const res = await w.receiver.createStream(w.token, {
        events_requested: [SESSION_REVOKED],
        delivery: {
          method: PUSH,
          endpoint_url: endpoint.url,
          authorization_header: endpoint.authorization,
        },
      });
      expect(res.status).toBe(201);
      expect(res.body.delivery).toEqual({ method: PUSH, endpoint_url: endpoint.url });
      const streamId = res.body.stream_id;

      const sid = await w.session();
      await t.revokeSession(w.slug, sid);
      await eventually(() => expect(endpoint.sets).toHaveLength(1), 10_000);
      const set = await w.receiver.verify(endpoint.sets[0], w.receiverApp.clientId);
      expect(eventOf(set)[0]).toBe(SESSION_REVOKED);
      expect(set.sub_id.session).toEqual({ format: 'opaque', id: sid });
      await eventually(async () =>
        expect(
          await t.sql(`SELECT status FROM ssf_events WHERE stream_id = $1`, [streamId]),
        ).toEqual([{ status: 'delivered' }]),
      );
      expect(endpoint.refused).toEqual([]);

      // a receiver that does not answer 202 gets the same SET again later (at least once)
      endpoint.answer = 503;
      const sid2 = await w.session();
      await t.revokeSession(w.slug, sid2);
      let row: any;
      await eventually(async () => {
        [row] = await t.sql(
          `SELECT jti, status, attempts, last_error FROM ssf_events WHERE stream_id = $1 AND subject->>'sid' = $2`,
          [streamId, sid2],
        );
        expect(row).toEqual(
          expect.objectContaining({ status: 'pending', last_error: 'delivery failed: HTTP 5xx' }),
        );
      }, 10_000);
      endpoint.answer = 202;
      // the back-off is seconds; the test does not wait for it
      await t.sql(`UPDATE ssf_events SET next_attempt_at = now() WHERE jti = $1`, [row.jti]);
      await eventually(() => expect(endpoint.sets).toHaveLength(2), 10_000);
      expect((await w.receiver.verify(endpoint.sets[1], w.receiverApp.clientId)).jti).toBe(row.jti);
    } finally {
      await endpoint.stop();
    }
  });

  it('another application’s stream and another tenant’s stream are not found', async () => {
    const stream = await pollStream(w);
    const otherApp = await t.given.app(w.slug, {
      grants: [
        {
          resourceServer: SSF_API,
          scopes: ['ssf:streams:read', 'ssf:streams:write'],
          flows: ['client_credentials'],
        },
      ],
    });
    const otherToken = await w.tokenOf(otherApp);
    const other = await world(t);
    const endpoint = w.receiver.metadata.configuration_endpoint;
    for (const [url, token] of [
      [endpoint, otherToken],
      [other.receiver.metadata.configuration_endpoint, other.token],
    ]) {
      expect(
        (await w.receiver.call('GET', `${url}?stream_id=${stream.stream_id}`, token)).status,
      ).toBe(404);
      expect(
        (
          await w.receiver.call('PATCH', url, token, {
            stream_id: stream.stream_id,
            description: 'x',
          })
        ).status,
      ).toBe(404);
      expect(
        (await w.receiver.call('DELETE', `${url}?stream_id=${stream.stream_id}`, token)).status,
      ).toBe(404);
      expect((await w.receiver.call('GET', url, token)).body).not.toContainEqual(
        expect.objectContaining({ stream_id: stream.stream_id }),
      );
    }
    // its poll endpoint too, and its events stay for their owner
    await t.revokeSession(w.slug, await w.session());
    expect(
      (await w.receiver.poll(otherToken, stream.delivery.endpoint_url, stream.aud)).status,
    ).toBe(404);
    const polled = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    expect(polled.sets.size).toBe(1);
    expect(
      (await t.sql(`SELECT description FROM ssf_streams WHERE id = $1`, [stream.stream_id]))[0],
    ).toEqual({
      description: null,
    });
  });

  it('refuses a call without a token (401) and one without the scope (403 insufficient_scope)', async () => {
    const endpoint = w.receiver.metadata.configuration_endpoint;
    const none = await w.receiver.call('POST', endpoint, undefined, { delivery: { method: POLL } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const readOnly = await w.tokenOf(w.receiverApp, 'ssf:streams:read');
    const before = await t.sql(`SELECT count(*)::int AS n FROM ssf_streams`);
    const res = await w.receiver.call('POST', endpoint, readOnly, { delivery: { method: POLL } });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('insufficient_scope');
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(await t.sql(`SELECT count(*)::int AS n FROM ssf_streams`)).toEqual(before);
    // reading is what the read scope allows
    expect((await w.receiver.call('GET', endpoint, readOnly)).status).toBe(200);

    // a token for another audience (a user's, or an API's) is not one for this API
    const { access_token } = (await signIn(t, w.slug, {
      app: w.web,
      redirectUri: CB,
      email: w.user.email,
      password: w.user.password,
    })) as any;
    expect((await w.receiver.call('GET', endpoint, access_token)).status).toBe(401);
  });
});

describe('Shared Signals transmitter: disabled applications, paused streams and limits', () => {
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });

  it('a disabled application’s streams get nothing: no event is enqueued for them, none pushed or polled', async () => {
    const w = await world(t);
    const control = await world(t); // another tenant's enabled receiver: shows the worker ran
    const endpoint = await new PushEndpoint().start();
    const controlEndpoint = await new PushEndpoint().start();
    try {
      const push = await w.receiver.createStream(w.token, {
        events_requested: [SESSION_REVOKED],
        delivery: {
          method: PUSH,
          endpoint_url: endpoint.url,
          authorization_header: endpoint.authorization,
        },
      });
      const poll = await pollStream(w);
      const controlPush = await control.receiver.createStream(control.token, {
        events_requested: [SESSION_REVOKED],
        delivery: {
          method: PUSH,
          endpoint_url: controlEndpoint.url,
          authorization_header: controlEndpoint.authorization,
        },
      });
      expect([push.status, controlPush.status]).toEqual([201, 201]);
      // one event waits for a retry when the application is disabled
      endpoint.answer = 503;
      const before = await w.session();
      await t.revokeSession(w.slug, before);
      await eventually(async () =>
        expect(
          await t.sql(`SELECT status, attempts FROM ssf_events WHERE stream_id = $1`, [
            push.body.stream_id,
          ]),
        ).toEqual([{ status: 'pending', attempts: 1 }]),
      );
      const disabled = await t.json(
        'PATCH',
        `/admin/api/tenants/${w.slug}/applications/${w.receiverApp.clientId}`,
        { isDisabled: true },
        await t.adminToken(),
      );
      expect(disabled.status).toBe(200);
      endpoint.answer = 202;
      await t.sql(`UPDATE ssf_events SET next_attempt_at = now() WHERE stream_id = $1`, [
        push.body.stream_id,
      ]);

      const after = await w.session();
      await t.revokeSession(w.slug, after);
      await t.revokeSession(control.slug, await control.session());
      await eventually(() => expect(controlEndpoint.sets).toHaveLength(1), 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(endpoint.sets).toEqual([]);
      // nothing new is pending for either stream; what was there before is held, never sent
      const rows = await t.sql(
        `SELECT stream_id::text AS "streamId", subject->>'sid' AS sid, status, attempts
         FROM ssf_events WHERE stream_id IN ($1, $2)`,
        [push.body.stream_id, poll.stream_id],
      );
      expect(rows).toHaveLength(2);
      expect(rows).toEqual(
        expect.arrayContaining([
          { streamId: push.body.stream_id, sid: before, status: 'pending', attempts: 1 },
          { streamId: poll.stream_id, sid: before, status: 'pending', attempts: 0 },
        ]),
      );
      // and the application cannot poll (its tokens ended with it)
      expect((await w.receiver.poll(w.token, poll.delivery.endpoint_url, poll.aud)).status).toBe(
        401,
      );
    } finally {
      await endpoint.stop();
      await controlEndpoint.stop();
    }
  });

  it('holds a paused stream’s events and refuses its polls (409) until it is enabled again (SSF §8.1.2)', async () => {
    const w = await world(t);
    const stream = await pollStream(w);
    const status = w.receiver.metadata.status_endpoint;
    const setStatus = (value: string) =>
      w.receiver.call('POST', status, w.token, { stream_id: stream.stream_id, status: value });
    expect((await setStatus('paused')).status).toBe(200);
    const sid = await w.session();
    await t.revokeSession(w.slug, sid);
    const refused = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    expect(refused.status).toBe(409);
    expect(refused.reply.body).toEqual(
      expect.objectContaining({ code: 'conflict', detail: 'The stream is paused' }),
    );
    // held, not dropped
    expect(
      await t.sql(`SELECT status FROM ssf_events WHERE stream_id = $1`, [stream.stream_id]),
    ).toEqual([{ status: 'pending' }]);
    expect((await setStatus('enabled')).status).toBe(200);
    const polled = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    expect([...polled.sets.values()].map((s) => s.sub_id.session.id)).toEqual([sid]);
    // a disabled stream is refused too
    expect((await setStatus('disabled')).status).toBe(200);
    expect((await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud)).status).toBe(
      409,
    );
  });

  it('answers a second concurrent long poll of a stream at once, as if returnImmediately', async () => {
    const w = await world(t);
    const stream = await pollStream(w);
    const longPoll = () =>
      w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud, {
        returnImmediately: false,
      });
    const first = longPoll();
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const second = await longPoll();
    expect(second.status).toBe(200);
    expect(second.sets.size).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    // the first still waits, and answers the event that comes
    const sid = await w.session();
    await t.revokeSession(w.slug, sid);
    const answered = await first;
    expect([...answered.sets.values()].map((s) => s.sub_id.session.id)).toEqual([sid]);
  });

  it('caps a stream’s subjects at 10 000 (409) and pending verification events (429 + Retry-After)', async () => {
    const w = await world(t);
    const stream = await pollStream(w);
    await t.sql(
      `INSERT INTO ssf_stream_subjects (stream_id, format, value)
       SELECT $1, 'email', 'user' || g || '@example.test' FROM generate_series(1, 10000) g`,
      [stream.stream_id],
    );
    const add = (email: string) =>
      w.receiver.call('POST', w.receiver.metadata.add_subject_endpoint, w.token, {
        stream_id: stream.stream_id,
        subject: { format: 'email', email },
      });
    const full = await add('one.more@example.test');
    expect(full.status).toBe(409);
    // one it has already is still fine (idempotent)
    expect((await add('user1@example.test')).status).toBe(200);
    expect(
      await t.sql(`SELECT count(*)::int AS n FROM ssf_stream_subjects WHERE stream_id = $1`, [
        stream.stream_id,
      ]),
    ).toEqual([{ n: 10000 }]);

    const verify = () =>
      w.receiver.call('POST', w.receiver.metadata.verification_endpoint, w.token, {
        stream_id: stream.stream_id,
      });
    for (let i = 0; i < 10; i++) expect((await verify()).status).toBe(204);
    const refused = await verify();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const pending = `SELECT count(*)::int AS n FROM ssf_events WHERE stream_id = $1 AND status = 'pending'`;
    expect(await t.sql(pending, [stream.stream_id])).toEqual([{ n: 10 }]);
    // acknowledged, they make room again
    const polled = await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud);
    expect(polled.sets.size).toBe(10);
    await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud, {
      ack: [...polled.sets.keys()],
      maxEvents: 0,
    });
    expect((await verify()).status).toBe(204);
  });

  it('counts every call of an application to the SSF API against the tenant’s introspection rule: 429 + Retry-After', async () => {
    const w = await world(t, undefined, {
      rateLimits: { introspection: { limit: 3, window: '1m' } },
    });
    const endpoint = w.receiver.metadata.configuration_endpoint;
    const stream = await pollStream(w); // 1
    expect((await w.receiver.call('GET', endpoint, w.token)).status).toBe(200); // 2
    expect((await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud)).status).toBe(
      200,
    ); // 3
    const refused = await w.receiver.createStream(w.token, {
      events_requested: [SESSION_REVOKED],
      delivery: { method: POLL },
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('temporarily_unavailable');
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    // refused before it did anything
    expect(
      await t.sql(`SELECT count(*)::int AS n FROM ssf_streams WHERE audience = $1`, [
        w.receiverApp.clientId,
      ]),
    ).toEqual([{ n: 1 }]);
    expect((await w.receiver.poll(w.token, stream.delivery.endpoint_url, stream.aud)).status).toBe(
      429,
    );
    // another application of the tenant has its own budget
    const otherApp = await t.given.app(w.slug, {
      grants: [
        { resourceServer: SSF_API, scopes: ['ssf:streams:read'], flows: ['client_credentials'] },
      ],
    });
    expect((await w.receiver.call('GET', endpoint, await w.tokenOf(otherApp))).status).toBe(200);
  });
});

describe('Shared Signals push endpoints on private addresses (without TESSERA_ALLOW_PRIVATE_URIS)', () => {
  const t = useTestServer();

  it('refuses a loopback push endpoint at creation, and never calls one stored before', async () => {
    const w = await world(t);
    const endpoint = await new PushEndpoint().start();
    try {
      const res = await w.receiver.createStream(w.token, {
        events_requested: [SESSION_REVOKED],
        delivery: { method: PUSH, endpoint_url: endpoint.url },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(await t.sql(`SELECT 1 FROM ssf_streams`)).toEqual([]);

      // stored anyway (a database from a development setup): refused again at send time
      const ok = await w.receiver.createStream(w.token, {
        events_requested: [SESSION_REVOKED],
        delivery: { method: PUSH, endpoint_url: 'https://receiver.example.test/push' },
      });
      expect(ok.status).toBe(201);
      await t.sql(`UPDATE ssf_streams SET endpoint_url = $1 WHERE id = $2`, [
        endpoint.url,
        ok.body.stream_id,
      ]);
      await t.revokeSession(w.slug, await w.session());
      await eventually(
        async () =>
          expect(await t.sql(`SELECT status, last_error FROM ssf_events`)).toEqual([
            { status: 'pending', last_error: 'delivery failed: no HTTP response' },
          ]),
        10_000,
      );
      expect(endpoint.sets).toEqual([]);
      expect(endpoint.refused).toEqual([]);
      expect(t.logs.text()).toMatch(/refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1/);
    } finally {
      await endpoint.stop();
    }
  });
});
