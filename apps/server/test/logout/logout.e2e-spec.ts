import { claims, startTestServer, useTestServer, type SignedInTokens } from '../support/harness';
import { BYE, world, type World } from '../support/world';

/**
 * BI-70 … BI-77 — RP-initiated logout with hints the OP must not trust (another tenant's, alg
 * none, a client_id mismatch is in revocation/feed-and-logout) and an expired hint it should accept.
 */
describe('RP-initiated logout (BI-70 … BI-77)', () => {
  const t = useTestServer();
  let w: World;
  beforeAll(async () => {
    w = await world(t);
  });
  const logoutUrl = (issuer: string, p: Record<string, string>) =>
    `${issuer}/logout?${new URLSearchParams(p)}`;
  const stillSignedIn = async (s: SignedInTokens) =>
    expect((await w.introspect(s.access_token)).body.active).toBe(true);

  it.each([
    ['another tenant’s ID token', async () => (await (await world(t)).signIn()).id_token],
    [
      'an alg none copy of our ID token',
      async () => {
        const s = await w.signIn();
        const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(s.id_token))}.`;
      },
    ],
    ['our access token (typ at+jwt)', async () => (await w.signIn()).access_token],
  ])('BI-71 asks for confirmation for %s, never redirects, ends nothing', async (_n, hint) => {
    const s = await w.signIn();
    const res = await s.browser.get(
      logoutUrl(w.issuer, {
        id_token_hint: await hint(),
        post_logout_redirect_uri: BYE,
        state: 'st',
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.text).toContain('Sign out?');
    await stillSignedIn(s);
  });

  it('BI-74 accepts an expired ID token hint for a current session (an instance an hour ahead)', async () => {
    const s = await w.signIn();
    const exp = claims(s.id_token).exp as number;
    const ahead = await startTestServer(t.databaseUrl, {
      CLOCK_OFFSET_MS: String(3600_000),
      PUBLIC_URL: t.url, // the same issuer, served by the instance whose clock is ahead
    });
    try {
      expect(exp).toBeLessThan(Date.now() / 1000 + 3600); // the hint is expired for that instance
      const res = await s.browser.get(
        logoutUrl(`${ahead.server.url}/t/${w.slug}`, {
          id_token_hint: s.id_token,
          post_logout_redirect_uri: BYE,
          state: 'st',
        }),
      );
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`${BYE}?state=st`);
      expect((await w.introspect(s.access_token)).body).toEqual({ active: false });
    } finally {
      await ahead.server.stop();
    }
  });
});
