import { basic, useTestServer } from '../support/harness';
import { expectClean, world, type World } from '../support/world';

/**
 * BI-45 … BI-50 (RFC 7009) — the cases revocation/revocation does not already pin: the exact
 * empty answer, hints that lie or mean nothing, another client's refresh token.
 */
describe('revocation (BI-45 … BI-50)', () => {
  const t = useTestServer();
  let w: World;
  beforeAll(async () => {
    w = await world(t);
  });
  const expectEmpty200 = (res: { status: number; text: string; headers: Headers }) => {
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('cache-control')).toBe('no-store');
  };

  it('BI-45 answers 200 to another client revoking a refresh token, and the token keeps working', async () => {
    const s = await w.signIn();
    const res = await w.revoke(s.refresh_token, w.second);
    expectEmpty200(res);
    expectClean(res as never, [s.refresh_token]);
    const refreshed = await w.refresh(s.refresh_token);
    expect(refreshed.status).toBe(200);
  });

  it('BI-47 answers garbage and already-revoked tokens with an empty 200', async () => {
    const s = await w.signIn();
    expectEmpty200(await w.revoke(s.refresh_token));
    expectEmpty200(await w.revoke(s.refresh_token));
    for (const garbage of ['x', 'a.b.c', "' OR 1=1--", 'A'.repeat(8000), 'abc\u0000def'])
      expectEmpty200(await w.revoke(garbage));
  });

  it.each([
    ['access_token', 'refresh'],
    ['foo', 'refresh'],
    ['refresh_token', 'access'],
    ['', 'access'],
  ])('BI-48 with hint "%s" still finds and revokes a %s token', async (hint, kind) => {
    const s = await w.signIn();
    const token = kind === 'refresh' ? s.refresh_token : s.access_token;
    expectEmpty200(await w.revoke(token, w.web, hint ? { token_type_hint: hint } : {}));
    if (kind === 'refresh') {
      expect((await w.refresh(s.refresh_token)).body.error).toBe('invalid_grant');
      expect((await w.introspect(s.access_token)).body).toEqual({ active: false });
    } else {
      expect((await w.introspect(s.access_token)).body).toEqual({ active: false });
      expect((await w.refresh(s.refresh_token)).status).toBe(200); // revoking an AT leaves the RT
    }
  });

  it('BI-46/50 refuses a missing token with invalid_request and changes nothing', async () => {
    const s = await w.signIn();
    const res = await w.post('revoke', {}, { authorization: basic(w.web.clientId, w.web.secret) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    const anonymous = await w.post('revoke', { token: s.refresh_token });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    expect((await w.refresh(s.refresh_token)).status).toBe(200);
  });
});
