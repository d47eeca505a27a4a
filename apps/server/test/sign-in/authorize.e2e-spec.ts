import { authorize, Browser, pkce, send, useTestServer } from '../support/harness';
import { formOf } from '../support/browser';
import { SPA_CB, world, type World } from '../support/world';

/**
 * Authorization endpoint cases (BI-10 … BI-29) — the authorization endpoint cases not already pinned by sign-in/sign-in
 * (exact redirect matching, PKCE, codes, CSRF and fixation live there).
 */
describe('the authorization endpoint (BI-10 … BI-29)', () => {
  const t = useTestServer();
  let w: World;
  beforeAll(async () => {
    w = await world(t);
  });
  const authorizeUrl = (redirectUri: string, extra: Record<string, string> = {}) =>
    `${w.issuer}/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: w.spa.clientId,
      redirect_uri: redirectUri,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's',
      ...extra,
    })}`;
  const codes = async () =>
    (
      await t.sql(`SELECT count(*)::int AS n FROM authorization_codes WHERE tenant_id = $1`, [
        w.tenantId,
      ])
    )[0].n as number;

  describe('BI-13 loopback redirect URIs: only what is registered, byte for byte', () => {
    it.each([
      ['another port', 'http://127.0.0.1:53123/cb'],
      ['another port and a query', 'http://127.0.0.1:53123/cb?x=1'],
      ['no port', 'http://127.0.0.1/cb'],
      ['localhost for 127.0.0.1', 'http://localhost:5173/cb'],
      ['IPv6 loopback', 'http://[::1]:5173/cb'],
      ['https for http', 'https://127.0.0.1:5173/cb'],
      ['a longer path', 'http://127.0.0.1:5173/cb/x'],
      ['a confidential client’s URI on loopback', 'http://127.0.0.1/cb'],
    ])('shows an error page for %s, never redirecting', async (_n, uri) => {
      const before = await codes();
      const res = await send(authorizeUrl(uri));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.text).not.toContain(uri.replace(/&/g, '&amp;').split('?')[0] + '?code=');
      expect(await codes()).toBe(before);
    });

    it('accepts the registered loopback URI (positive control)', async () => {
      const res = await send(authorizeUrl(SPA_CB));
      expect(res.status).toBe(200);
    });
  });

  describe('BI-25 the authorization response names the issuer and returns state byte for byte', () => {
    const state = `é—✓ ${'x'.repeat(2048)} &=?#+%20 “quotes” 🙂`;

    it('on success', async () => {
      const s = await authorize(t, w.slug, {
        clientId: w.spa.clientId,
        redirectUri: SPA_CB,
        email: w.user.email,
        password: w.user.password,
        state,
      });
      expect(s.location.searchParams.get('state')).toBe(state);
      expect(s.location.searchParams.get('iss')).toBe(w.issuer);
    });

    it('on an error sent back to the client', async () => {
      const res = await send(authorizeUrl(SPA_CB, { state, code_challenge_method: 'plain' }));
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(loc.origin + loc.pathname).toBe(SPA_CB);
      expect(loc.searchParams.get('error')).toBe('invalid_request');
      expect(loc.searchParams.get('state')).toBe(state);
      expect(loc.searchParams.get('iss')).toBe(w.issuer);
      expect(loc.searchParams.get('code')).toBeNull();
    });

    it('through the sign-in form (state survives the hidden fields)', async () => {
      const b = new Browser();
      const page = await b.get(authorizeUrl(SPA_CB, { state }));
      const { action, fields } = formOf(page.text);
      expect(fields.get('state')).toBe(state);
      fields.set('email', w.user.email);
      fields.set('password', 'a wrong password');
      const wrong = await b.post(action, fields);
      expect(wrong.status).toBe(401);
      const again = formOf(wrong.text);
      again.fields.set('email', w.user.email);
      again.fields.set('password', w.user.password);
      const ok = await b.post(again.action, again.fields);
      expect(ok.status).toBe(303);
      expect(new URL(ok.headers.get('location')!).searchParams.get('state')).toBe(state);
    });
  });

  it('BI-26 sends no CORS grant to a cross-origin request, at the authorize and sign-in endpoints', async () => {
    const res = await send(authorizeUrl(SPA_CB), { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const pre = await send(authorizeUrl(SPA_CB), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).toBeLessThan(500);
  });
});
