import {
  TesseraVerifier,
  TokenRejectedError,
  VerifierUnavailableError,
} from '@tessera/nest-guards';
import { eventually, send, useTestServer, type TestServer } from '../support/harness';
import { world, type World } from '../support/world';

const SSF_API = 'urn:tessera:ssf';
const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';

/** An application allowed to manage its own streams (client_credentials for the SSF API). */
async function receiverOf(t: TestServer, w: World) {
  const app = await t.given.app(w.slug, {
    grants: [
      {
        resourceServer: SSF_API,
        scopes: ['ssf:streams:read', 'ssf:streams:write'],
        flows: ['client_credentials'],
      },
    ],
  });
  const res = await t.token(w.slug, { grant_type: 'client_credentials', resource: SSF_API }, app);
  expect(res.status).toBe(200);
  return { ...app, token: res.body.access_token as string };
}

describe('guard library, mode jwt+ssf: follows a Shared Signals stream (CAEP session-revoked)', () => {
  // long polls of 2 s (half the request deadline), so a stale stream shows within seconds
  const t = useTestServer({ env: { TESSERA_REQUEST_DEADLINE_MS: '4000' } });

  it('accepts a session’s token until the session is revoked, then refuses it; removes its stream at stop', async () => {
    const w = await world(t);
    const receiver = await t.given.app(w.slug, {
      grants: [
        {
          resourceServer: 'urn:tessera:ssf',
          scopes: ['ssf:streams:read', 'ssf:streams:write'],
          flows: ['client_credentials'],
        },
      ],
    });
    const guard = new TesseraVerifier({
      issuer: w.issuer,
      audience: w.rs.identifier,
      mode: 'jwt+ssf',
      clientId: receiver.clientId,
      clientSecret: receiver.secret,
    });
    await guard.init();
    try {
      const streams = await t.sql(`SELECT id FROM ssf_streams WHERE audience = $1`, [
        receiver.clientId,
      ]);
      expect(streams).toHaveLength(1);
      expect(guard.health()).toEqual(
        expect.objectContaining({
          isReady: true,
          feed: expect.objectContaining({ isStale: false }),
        }),
      );

      const kept = await w.signIn();
      const ended = await w.signIn();
      expect((await guard.verify(ended.access_token)).sid).toBe(ended.sid);

      await t.revokeSession(w.slug, ended.sid);
      await eventually(
        () =>
          expect(guard.verify(ended.access_token)).rejects.toEqual(
            new TokenRejectedError('ERR_TOKEN_REVOKED'),
          ),
        15_000,
      );
      // another session's token lives on
      expect((await guard.verify(kept.access_token)).sid).toBe(kept.sid);
      // what it applied, it acknowledged
      await eventually(async () =>
        expect(
          await t.sql(`SELECT status FROM ssf_events WHERE stream_id = $1`, [streams[0].id]),
        ).toEqual([{ status: 'delivered' }]),
      );
    } finally {
      guard.close();
    }
    await eventually(async () =>
      expect(
        await t.sql(`SELECT 1 FROM ssf_streams WHERE audience = $1`, [receiver.clientId]),
      ).toEqual([]),
    );
  }, 60_000);

  it('goes stale and refuses tokens while its stream is paused (the transmitter refuses the polls), then recovers', async () => {
    const w = await world(t);
    const receiver = await receiverOf(t, w);
    const guard = new TesseraVerifier({
      issuer: w.issuer,
      audience: w.rs.identifier,
      mode: 'jwt+ssf',
      clientId: receiver.clientId,
      clientSecret: receiver.secret,
      // longer than a long poll (half the 4 s request deadline here)
      feedStalenessSeconds: 4,
    });
    await guard.init();
    try {
      const session = await w.signIn();
      expect((await guard.verify(session.access_token)).sid).toBe(session.sid);
      const [stream] = await t.sql(`SELECT id::text FROM ssf_streams WHERE audience = $1`, [
        receiver.clientId,
      ]);
      const setStatus = (status: string) =>
        send(`${w.issuer}/ssf/status`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${receiver.token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ stream_id: stream.id, status }),
        });
      expect((await setStatus('paused')).status).toBe(200);
      await eventually(
        () =>
          expect(guard.verify(session.access_token)).rejects.toEqual(
            new VerifierUnavailableError('ERR_FEED_STALE'),
          ),
        20_000,
      );
      expect(guard.health().feed).toEqual(
        expect.objectContaining({ isStale: true, isConnected: false }),
      );

      expect((await setStatus('enabled')).status).toBe(200);
      await eventually(
        async () => expect((await guard.verify(session.access_token)).sid).toBe(session.sid),
        20_000,
      );
    } finally {
      guard.close();
    }
  }, 60_000);

  it('refuses a named stream that does not deliver session-revoked: never ready, tokens refused', async () => {
    const w = await world(t);
    const receiver = await receiverOf(t, w);
    const created = await send(`${w.issuer}/ssf/streams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${receiver.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events_requested: [CREDENTIAL_CHANGE],
        delivery: { method: 'urn:ietf:rfc:8936' },
      }),
    });
    expect(created.status).toBe(201);
    const guard = new TesseraVerifier({
      issuer: w.issuer,
      audience: w.rs.identifier,
      mode: 'jwt+ssf',
      clientId: receiver.clientId,
      clientSecret: receiver.secret,
      ssfStreamId: created.body.stream_id,
    });
    void guard.init();
    try {
      const session = await w.signIn();
      await new Promise((r) => setTimeout(r, 3000));
      expect(guard.health()).toEqual(
        expect.objectContaining({
          isReady: false,
          feed: expect.objectContaining({ isConnected: false, lastContactAt: null }),
        }),
      );
      await expect(guard.verify(session.access_token)).rejects.toEqual(
        new VerifierUnavailableError('ERR_FEED_STALE'),
      );
    } finally {
      guard.close();
    }
  }, 30_000);
});
