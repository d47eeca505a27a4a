import { randomUUID } from 'node:crypto';
import { TesseraVerifier, TokenRejectedError } from '@tessera/nest-guards';
import { KeysService } from '../../src/keys';
import {
  basic,
  claims,
  eventually,
  send,
  useTestServer,
  type SignedInTokens,
  type TestServer,
} from '../support/harness';
import { world as securityWorld } from '../support/world';

/** Same-second attempts before giving up: each lands in one wall-clock second most of the time. */
const ATTEMPTS = 20;

/** The security suites' tenant, with what these cases add: a feed-following guard, the cuts, old tokens. */
async function world(t: TestServer) {
  const w = await securityWorld(t);
  const tenant = { id: w.tenantId, slug: w.slug };
  const signIn = (browser?: SignedInTokens['browser']) => w.signIn(w.web, undefined, browser);
  const introspect = async (token: string) => (await w.introspect(token)).body;
  const revoke = (token: string) => w.revoke(token);
  // a resource server following the feed, as the guard library's default mode does
  const guard = new TesseraVerifier({
    issuer: w.issuer,
    audience: w.rs.identifier,
    mode: 'jwt+feed',
    clientId: w.web.clientId,
    clientSecret: w.web.secret,
  });
  await guard.init();
  /** The cut of the latest event of a type naming this session or subject, in whole epoch seconds. */
  const cutOf = async (where: string, param: string) =>
    Number(
      (
        await t.sql(
          `SELECT floor(extract(epoch FROM not_before))::int AS cut FROM revocation_events
           WHERE tenant_id = $1 AND ${where} ORDER BY id DESC LIMIT 1`,
          [tenant.id, param],
        )
      )[0].cut,
    );
  /** A token as a server without family claims minted it (signed with the tenant's real key). */
  const legacyToken = (c: Record<string, unknown>) => {
    const iat = Math.floor(Date.now() / 1000);
    return t.server.app.get(KeysService).sign(
      tenant.id,
      { typ: 'at+jwt' },
      {
        iss: w.issuer,
        sub: w.user.id,
        aud: w.rs.identifier,
        iat,
        exp: iat + 300,
        jti: randomUUID(),
        client_id: w.web.clientId,
        scope: 'orders:read',
        ...c,
      },
    );
  };
  return {
    tenant,
    web: w.web,
    user: w.user,
    signIn,
    introspect,
    revoke,
    guard,
    cutOf,
    legacyToken,
  };
}

const revoked = new TokenRejectedError('ERR_TOKEN_REVOKED');

describe('revocation cuts are exact: a fresh sign-in in the second of a revocation lives (issue §2)', () => {
  const t = useTestServer();
  let w: Awaited<ReturnType<typeof world>>;
  beforeAll(async () => {
    w = await world(t);
  });
  afterAll(() => w?.guard.close());

  it('BI-49b: after an RFC 7009 revocation, signing in to the same application again in the same second gives a live token; the revoked family stays dead', async () => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const first = await w.signIn();
      expect((await w.revoke(first.refresh_token)).status).toBe(200);
      const again = await w.signIn(first.browser); // SSO: the same session, a new family
      expect(again.sid).toBe(first.sid);
      // the case of the issue: the new token's iat is the second of the cut
      if (claims(again.access_token).iat !== (await w.cutOf(`sid = $2`, first.sid))) continue;

      expect((await w.introspect(first.access_token)).active).toBe(false);
      expect((await w.introspect(again.access_token)).active).toBe(true);
      // the guard has the family's event once it refuses the old token; then it judges the new one
      await eventually(() => expect(w.guard.verify(first.access_token)).rejects.toEqual(revoked));
      await expect(w.guard.verify(again.access_token)).resolves.toMatchObject({
        sid: first.sid,
        clientId: w.web.clientId,
      });
      // each token names its family; the new family is a family like any other
      expect(claims(again.access_token).family_id).not.toBe(claims(first.access_token).family_id);
      const refreshed = await t.token(
        w.tenant.slug,
        { grant_type: 'refresh_token', refresh_token: again.refresh_token },
        w.web,
      );
      expect(claims(refreshed.body.access_token).family_id).toBe(
        claims(again.access_token).family_id,
      );
      expect((await w.revoke(refreshed.body.refresh_token)).status).toBe(200);
      for (const token of [again.access_token, refreshed.body.access_token]) {
        expect((await w.introspect(token)).active).toBe(false);
        await eventually(() => expect(w.guard.verify(token)).rejects.toEqual(revoked));
      }
      return;
    }
    throw new Error(`no attempt landed in the second of its revocation in ${ATTEMPTS} tries`);
  });

  it('publishes a family revocation naming the family, with the session, client and cut older validators use', async () => {
    const s = await w.signIn();
    expect((await w.revoke(s.refresh_token)).status).toBe(200);
    const feed = await send(`${t.issuer(w.tenant.slug)}/revocations?after=0`, {
      headers: { authorization: basic(w.web.clientId, w.web.secret) },
    });
    const events = feed.body.events.filter(
      (e: { family_id?: string }) => e.family_id === claims(s.access_token).family_id,
    );
    expect(events).toEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        type: 'family',
        family_id: claims(s.access_token).family_id,
        sid: s.sid,
        sub: w.user.id,
        client_id: w.web.clientId,
        notBefore: expect.any(Number),
        exp: expect.any(Number),
        reason: 'revoked',
      },
    ]);
    const [family] = await t.sql(
      `SELECT id, revoked_at FROM refresh_token_families WHERE id = $1`,
      [claims(s.access_token).family_id],
    );
    expect(family.revoked_at).not.toBeNull(); // the claim names the family row that was revoked
  });

  it('BI-49c: tokens minted before family claims existed keep the session + client + iat rule until they expire', async () => {
    const s = await w.signIn();
    const old = await w.legacyToken({ sid: s.sid });
    const otherClient = await w.legacyToken({ sid: s.sid, client_id: 'another-client' });
    expect((await w.introspect(old)).active).toBe(true);
    await expect(w.guard.verify(old)).resolves.toBeTruthy();
    expect((await w.revoke(s.refresh_token)).status).toBe(200);
    expect((await w.introspect(old)).active).toBe(false);
    await eventually(() => expect(w.guard.verify(old)).rejects.toEqual(revoked));
    // the cut names the session and the client: another client's token in that session lives
    expect((await w.introspect(otherClient)).active).toBe(true);
    await expect(w.guard.verify(otherClient)).resolves.toBeTruthy();
  });

  it('BI-69b: signing in again in the second of a sign-out-everywhere gives a token the guard accepts; the ended sessions stay dead', async () => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const before = await w.signIn();
      // a token naming no session: only the user-wide cut can reach it
      const sessionless = await w.legacyToken({});
      await expect(w.guard.verify(sessionless)).resolves.toBeTruthy();
      const out = await t.json(
        'POST',
        `/admin/api/tenants/${w.tenant.slug}/users/${w.user.id}/sign-out`,
        {},
        await t.adminToken(),
      );
      expect(out.status).toBe(200);
      const after = await w.signIn(); // a new browser: a password sign-in, a new session
      expect(after.sid).not.toBe(before.sid);
      if (
        claims(after.access_token).iat !== (await w.cutOf(`type = 'user' AND sub = $2`, w.user.id))
      )
        continue;

      expect((await w.introspect(before.access_token)).active).toBe(false);
      expect((await w.introspect(after.access_token)).active).toBe(true);
      await eventually(() => expect(w.guard.verify(before.access_token)).rejects.toEqual(revoked));
      await eventually(() => expect(w.guard.verify(sessionless)).rejects.toEqual(revoked));
      await expect(w.guard.verify(after.access_token)).resolves.toMatchObject({ sid: after.sid });
      return;
    }
    throw new Error(`no attempt landed in the second of its sign-out in ${ATTEMPTS} tries`);
  });
});
