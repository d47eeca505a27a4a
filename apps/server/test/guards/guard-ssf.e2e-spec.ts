import { TesseraVerifier, TokenRejectedError } from '@tessera/nest-guards';
import { eventually, useTestServer } from '../support/harness';
import { world } from '../support/world';

describe('guard library, mode jwt+ssf: follows a Shared Signals stream (CAEP session-revoked)', () => {
  const t = useTestServer();

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
});
