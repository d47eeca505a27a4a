import { randomBytes } from 'node:crypto';
import { authorize, basic, form, useTestServer } from '../support/harness';
import { CB, expectClean, expectOAuthError, world, type World } from '../support/world';

/**
 * BI-01 … BI-09 (client authentication at token, revoke and introspect) — the cases the
 * token-endpoint suite (tokens/client-credentials) does not already pin for every endpoint.
 */
describe('client authentication on every back-channel endpoint (BI-01 … BI-09)', () => {
  const t = useTestServer();
  let w: World;
  let token: string;
  beforeAll(async () => {
    w = await world(t);
    token = (await w.cc()).body.access_token;
  });
  const ENDPOINTS = ['token', 'revoke', 'introspect'] as const;
  const bodyFor = (e: (typeof ENDPOINTS)[number]): Record<string, string> =>
    e === 'token' ? { grant_type: 'client_credentials' } : { token };
  const stillActive = async () => expect((await w.introspect(token, w.web)).body.active).toBe(true);

  it.each(ENDPOINTS)(
    'BI-01 answers a wrong secret and an unknown client identically at %s',
    async (e) => {
      const wrongSecret = randomBytes(24).toString('hex');
      const wrong = await w.post(e, bodyFor(e), {
        authorization: basic(w.web.clientId, wrongSecret),
      });
      const unknown = await w.post(e, bodyFor(e), {
        authorization: basic(`nobody-${randomBytes(4).toString('hex')}`, wrongSecret),
      });
      expectOAuthError(wrong, 401, 'invalid_client', [wrongSecret, token]);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect({
        s: unknown.status,
        b: unknown.body,
        h: unknown.headers.get('www-authenticate'),
      }).toEqual({
        s: wrong.status,
        b: wrong.body,
        h: wrong.headers.get('www-authenticate'),
      });
      await stillActive();
    },
  );

  describe.each(['revoke', 'introspect'] as const)('BI-05 malformed Basic at %s', (e) => {
    it.each([
      ['not base64', 'Basic !!!!'],
      ['no colon', `Basic ${Buffer.from('justanid').toString('base64')}`],
      ['an empty Basic', 'Basic'],
      ['an 8 KB value', `Basic ${'A'.repeat(8192)}`],
      ['another scheme', 'Digest abc'],
      ['a bad percent-encoding', `Basic ${Buffer.from('%zz:%zz').toString('base64')}`],
      ['a NUL in the id', `Basic ${Buffer.from('a\u0000b:secret').toString('base64')}`],
    ])('answers invalid_client for %s and touches nothing', async (_n, authorization) => {
      const res = await w.post(e, { token }, { authorization });
      expectOAuthError(res, 401, 'invalid_client', [token]);
      await stillActive();
    });
  });

  it.each(['revoke', 'introspect'] as const)(
    'BI-02/03 refuses two authentication methods and a mismatched client_id at %s',
    async (e) => {
      const both = await w.post(
        e,
        { token, client_secret: w.web.secret },
        { authorization: basic(w.web.clientId, w.web.secret) },
      );
      expectOAuthError(both, 400, 'invalid_request', [w.web.secret, token]);
      const mismatch = await w.post(
        e,
        { token, client_id: w.second.clientId },
        { authorization: basic(w.web.clientId, w.web.secret) },
      );
      expectOAuthError(mismatch, 400, 'invalid_request', [w.web.secret, token]);
      await stillActive();
    },
  );

  it.each(ENDPOINTS)('BI-07 refuses a repeated client_id at %s', async (e) => {
    const res = await w.post(
      e,
      form({
        ...bodyFor(e),
        client_id: [w.web.clientId, w.second.clientId],
        client_secret: w.web.secret,
      }),
    );
    expectOAuthError(res, 400, 'invalid_request', [w.web.secret, token]);
    await stillActive();
  });

  it('BI-07 refuses a repeated code without consuming it', async () => {
    const s = await w.signIn(); // a first sign-in, then a fresh code in the same browser
    const again = await authorize(t, w.slug, {
      browser: s.browser,
      clientId: w.web.clientId,
      redirectUri: CB,
      email: w.user.email,
      password: w.user.password,
      scope: 'openid orders:read',
    });
    const params = {
      grant_type: 'authorization_code',
      redirect_uri: CB,
      code_verifier: again.verifier!,
    };
    const twice = await w.post('token', form({ ...params, code: [again.code, again.code] }), {
      authorization: basic(w.web.clientId, w.web.secret),
    });
    expectOAuthError(twice, 400, 'invalid_request', [again.code]);
    const once = await w.post(
      'token',
      { ...params, code: again.code },
      {
        authorization: basic(w.web.clientId, w.web.secret),
      },
    );
    expect(once.status).toBe(200);
  });

  it.each(ENDPOINTS)(
    'BI-08 answers a JSON or multipart body at %s with 400, never a 500',
    async (e) => {
      const auth = { authorization: basic(w.web.clientId, w.web.secret) };
      const json = await w.post(e, JSON.stringify(bodyFor(e)), {
        ...auth,
        'content-type': 'application/json',
      });
      expectOAuthError(json, 400, 'invalid_request', [w.web.secret, token]);
      const boundary = 'xyz';
      const multipart = await w.post(
        e,
        Object.entries(bodyFor(e))
          .map(
            ([k, v]) =>
              `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
          )
          .join('') + `--${boundary}--\r\n`,
        { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      );
      expectOAuthError(multipart, 400, 'invalid_request', [w.web.secret, token]);
      await stillActive();
    },
  );

  it.each(ENDPOINTS)('BI-09 answers 1 MB and 10 000 parameters at %s with a 4xx', async (e) => {
    const auth = { authorization: basic(w.web.clientId, w.web.secret) };
    const big = await w.post(e, `${form(bodyFor(e))}&x=${'a'.repeat(1024 * 1024)}`, auth);
    expect(big.status).toBe(413);
    expectClean(big, [w.web.secret, token]);
    const many = await w.post(
      e,
      `${form(bodyFor(e))}&${Array.from({ length: 10_000 }, (_, i) => `p${i}=1`).join('&')}`,
      auth,
    );
    expect(many.status).toBeLessThan(500);
    expectClean(many, [w.web.secret, token]);
    if (e === 'token') expect(many.text).not.toContain('"refresh_token"');
    await stillActive();
  });
});
