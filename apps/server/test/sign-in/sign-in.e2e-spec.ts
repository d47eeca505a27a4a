import { createLocalJWKSet, jwtVerify } from 'jose';
import { authorize, Browser, pkce, send, useTestServer } from '../support/harness';
import { formOf } from '../support/browser';

describe('hosted sign-in and the authorization code flow', () => {
  const t = useTestServer();
  let slug: string;
  let api: string;
  let web: { clientId: string; secret: string };
  let spa: string;
  let user: { id: string; email: string; password: string };
  const cb = 'https://web.example.test/cb';

  const exchange = (
    code: string,
    verifier: string | undefined,
    extra: Record<string, string> = {},
    auth = web,
  ) =>
    t.token(
      slug,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: cb,
        ...(verifier ? { code_verifier: verifier } : {}),
        ...extra,
      },
      auth,
    );

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    api = (
      await t.given.resourceServer(slug, {
        scopes: [
          { name: 'orders:read', description: '' },
          { name: 'orders:write', description: '' },
        ],
      })
    ).identifier;
    web = await t.given.app(slug, {
      name: 'Web',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
      grants: [{ resourceServer: api, scopes: ['orders:read', 'orders:write'], flows: ['user'] }],
    });
    const pub = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications`,
      {
        clientId: 'spa',
        name: 'SPA',
        type: 'public',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1:5173/cb'],
        grants: [{ resourceServer: api, scopes: ['orders:read'], flows: ['user'] }],
      },
      await t.adminToken(),
    );
    expect(pub.status).toBe(201);
    spa = 'spa';
    user = await t.given.user(slug, {
      permissions: [{ resourceServer: api, scopes: ['orders:read', 'orders:write'] }],
    });
  });

  it('signs in with code + PKCE and issues access, refresh and ID tokens bound to the session', async () => {
    const s = await authorize(t, slug, {
      clientId: web.clientId,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'openid email orders:read',
      nonce: 'n-123',
      state: 'st-1',
    });
    expect(s.location.origin + s.location.pathname).toBe(cb);
    expect(s.location.searchParams.get('state')).toBe('st-1');
    expect(s.location.searchParams.get('iss')).toBe(t.issuer(slug));
    const res = await exchange(s.code, s.verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'orders:read',
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      id_token: expect.any(String),
    });
    const jwks = createLocalJWKSet((await send(`${t.issuer(slug)}/jwks.json`)).body);
    const at = (
      await jwtVerify(res.body.access_token, jwks, {
        issuer: t.issuer(slug),
        audience: api,
        typ: 'at+jwt',
      })
    ).payload;
    expect(at).toMatchObject({
      sub: user.id,
      client_id: web.clientId,
      scope: 'orders:read',
      sid: expect.any(String),
    });
    const id = (
      await jwtVerify(res.body.id_token, jwks, { issuer: t.issuer(slug), audience: web.clientId })
    ).payload;
    expect(id).toMatchObject({
      sub: user.id,
      nonce: 'n-123',
      sid: at.sid,
      email: user.email,
      auth_time: expect.any(Number),
    });
    const session = await t.get(
      `/admin/api/tenants/${slug}/sessions/${at.sid}`,
      await t.adminToken(),
    );
    expect(session.status).toBe(200);
    expect(session.body.userId).toBe(user.id);
    expect(session.body.applications.map((a: { clientId: string }) => a.clientId)).toEqual([
      web.clientId,
    ]);
    expect(session.body.families).toHaveLength(1);
  });

  it('signs a second application of the tenant in without the password: one session, two surfaces', async () => {
    const first = await authorize(t, slug, {
      clientId: web.clientId,
      redirectUri: cb,
      email: user.email,
      password: user.password,
    });
    const firstTokens = (await exchange(first.code, first.verifier)).body;
    const p = pkce();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: spa,
      redirect_uri: 'http://127.0.0.1:5173/cb',
      state: 's2',
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
    });
    const sso = await first.browser.get(`${t.issuer(slug)}/authorize?${q}`);
    expect(sso.status).toBe(302); // no form: the session cookie signed it in
    const code = new URL(sso.headers.get('location')!).searchParams.get('code')!;
    const spaTokens = await t.token(slug, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:5173/cb',
      client_id: spa,
      code_verifier: p.verifier,
    });
    expect(spaTokens.status).toBe(200);
    const sid = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).sid;
    expect(sid(spaTokens.body.access_token)).toBe(sid(firstTokens.access_token));
    const session = await t.get(
      `/admin/api/tenants/${slug}/sessions/${sid(firstTokens.access_token)}`,
      await t.adminToken(),
    );
    expect(session.body.applications.map((a: { clientId: string }) => a.clientId).sort()).toEqual(
      [spa, web.clientId].sort(),
    );
    expect(session.body.families).toHaveLength(2);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie scoped to the issuer, and keeps only HMACs in the database', async () => {
    const s = await authorize(t, slug, {
      clientId: web.clientId,
      redirectUri: cb,
      email: user.email,
      password: user.password,
    });
    const cookie = s.browser.cookies.get('tessera_session')!;
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const tokens = (await exchange(s.code, s.verifier)).body;
    const page = await new Browser().get(
      `${t.issuer(slug)}/authorize?response_type=code&client_id=${web.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
    );
    expect(page.status).toBe(200);
    const dump = JSON.stringify(
      await t.sql(
        `SELECT (SELECT json_agg(x) FROM sessions x) s, (SELECT json_agg(x) FROM authorization_codes x) c, (SELECT json_agg(x) FROM refresh_tokens x) r, (SELECT json_agg(x) FROM applications x) a, (SELECT json_agg(x) FROM audit_events x) e`,
      ),
    );
    for (const secret of [cookie, s.code, tokens.refresh_token, web.secret, user.password]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(Buffer.from(secret).toString('hex'));
    }
  });

  it('sends the cookie attributes the browser needs', async () => {
    const b = new Browser();
    const page = await b.get(
      `${t.issuer(slug)}/authorize?response_type=code&client_id=${web.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
    );
    const { action, fields } = formOf(page.text);
    fields.set('email', user.email);
    fields.set('password', user.password);
    const res = await b.post(action, fields);
    expect(res.status).toBe(303);
    const set = (res.headers as Headers & { getSetCookie(): string[] })
      .getSetCookie()
      .find((c) => c.startsWith('tessera_session='))!;
    expect(set).toMatch(/; Path=\/t\/[a-z0-9-]+/);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Lax/);
    expect(set).not.toMatch(/; Secure/); // PUBLIC_URL is http here
  });

  it('renders an accessible form with CSRF protection and anti-framing headers', async () => {
    const res = await send(
      `${t.issuer(slug)}/authorize?response_type=code&client_id=${web.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
      { headers: { origin: 'https://evil.example' } },
    );
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<label for="email">/);
    expect(res.text).toMatch(/<input id="email" name="email" type="email"/);
    expect(res.text).toMatch(/<input id="password" name="password" type="password"/);
    expect(res.text).toMatch(/name="csrf"/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a sign-in POST without the CSRF token (403) and creates no session', async () => {
    const before = (await t.sql(`SELECT count(*)::int AS n FROM sessions`))[0].n;
    const b = new Browser();
    const page = await b.get(
      `${t.issuer(slug)}/authorize?response_type=code&client_id=${web.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
    );
    const { action, fields } = formOf(page.text);
    fields.set('email', user.email);
    fields.set('password', user.password);
    fields.set('csrf', 'forged');
    expect((await b.post(action, fields)).status).toBe(403);
    fields.delete('csrf');
    expect((await b.post(action, fields)).status).toBe(403);
    expect((await t.sql(`SELECT count(*)::int AS n FROM sessions`))[0].n).toBe(before);
  });

  describe('never redirects to an untrusted place', () => {
    const variants = [
      'https://web.example.test/CB',
      'https://web.example.test/cb/',
      'https://web.example.test/cb?x=1',
      'https://web.example.test/cb#f',
      'https://WEB.example.test/cb',
      'http://web.example.test/cb',
      'https://web.example.test:443/cb',
      'https://web.example.test/cb/../cb',
      'https://web.example.test/%63b',
      'https://evil@web.example.test/cb',
      'https://web.example.test.evil.example/cb',
      ' https://web.example.test/cb',
    ];
    it.each(variants)('shows an error page for redirect_uri %s', async (variant) => {
      const res = await send(
        `${t.issuer(slug)}/authorize?response_type=code&client_id=${web.clientId}&redirect_uri=${encodeURIComponent(variant)}&state=x`,
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.text).toContain('not registered');
    });

    it('shows an error page for an unknown client or a missing redirect_uri', async () => {
      for (const q of [
        `client_id=nobody&redirect_uri=${encodeURIComponent(cb)}`,
        `client_id=${web.clientId}`,
        `client_id=${web.clientId}&client_id=${spa}&redirect_uri=${encodeURIComponent(cb)}`,
      ]) {
        const res = await send(`${t.issuer(slug)}/authorize?response_type=code&${q}`);
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
      }
    });
  });

  describe('errors returned to a trusted redirect URI carry error, state and iss', () => {
    const errorOf = async (q: string) => {
      const res = await send(
        `${t.issuer(slug)}/authorize?${q}&state=${encodeURIComponent('ünïcødé-☃-' + 'x'.repeat(2000))}`,
      );
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(loc.origin + loc.pathname).toBe(cb.replace('web', 'web'));
      expect(loc.searchParams.get('state')).toBe('ünïcødé-☃-' + 'x'.repeat(2000));
      expect(loc.searchParams.get('iss')).toBe(t.issuer(slug));
      expect(loc.searchParams.get('code')).toBeNull();
      return loc.searchParams.get('error');
    };
    const base = () => `client_id=${web.clientId}&redirect_uri=${encodeURIComponent(cb)}`;

    it('unsupported_response_type for token and id_token token (no implicit flow)', async () => {
      expect(await errorOf(`${base()}&response_type=token`)).toBe('unsupported_response_type');
      expect(await errorOf(`${base()}&response_type=${encodeURIComponent('id_token token')}`)).toBe(
        'unsupported_response_type',
      );
    });

    it('invalid_request for plain PKCE, malformed challenges and repeated parameters', async () => {
      const ok = pkce().challenge;
      expect(
        await errorOf(
          `${base()}&response_type=code&code_challenge=${ok}&code_challenge_method=plain`,
        ),
      ).toBe('invalid_request');
      expect(await errorOf(`${base()}&response_type=code&code_challenge=${ok}`)).toBe(
        'invalid_request',
      );
      expect(
        await errorOf(
          `${base()}&response_type=code&code_challenge=${ok.slice(1)}&code_challenge_method=S256`,
        ),
      ).toBe('invalid_request');
      expect(
        await errorOf(
          `${base()}&response_type=code&code_challenge=${ok}A&code_challenge_method=S256`,
        ),
      ).toBe('invalid_request');
      expect(
        await errorOf(
          `${base()}&response_type=code&code_challenge=${ok.slice(0, 42)}%2B&code_challenge_method=S256`,
        ),
      ).toBe('invalid_request');
      expect(await errorOf(`${base()}&response_type=code&scope=a&scope=b`)).toBe('invalid_request');
    });

    it('invalid_request for a public client without PKCE', async () => {
      const res = await send(
        `${t.issuer(slug)}/authorize?response_type=code&client_id=${spa}&redirect_uri=${encodeURIComponent('http://127.0.0.1:5173/cb')}&state=s`,
      );
      expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe(
        'invalid_request',
      );
    });

    it('invalid_target for a resource that is not granted, invalid_scope when nothing requested is granted', async () => {
      expect(
        await errorOf(
          `${base()}&response_type=code&resource=${encodeURIComponent('https://other.example/api')}`,
        ),
      ).toBe('invalid_target');
      expect(await errorOf(`${base()}&response_type=code&scope=admin:everything`)).toBe(
        'invalid_scope',
      );
    });

    it('login_required for prompt=none without a session', async () => {
      expect(await errorOf(`${base()}&response_type=code&prompt=none`)).toBe('login_required');
    });
  });

  describe('the code', () => {
    it('is single use; a second use revokes what the first issued', async () => {
      const s = await authorize(t, slug, {
        clientId: web.clientId,
        redirectUri: cb,
        email: user.email,
        password: user.password,
      });
      const first = await exchange(s.code, s.verifier);
      expect(first.status).toBe(200);
      const second = await exchange(s.code, s.verifier);
      expect(second.status).toBe(400);
      expect(second.body).toEqual({
        error: 'invalid_grant',
        error_description: 'The grant is invalid or expired',
      });
      const refresh = await t.token(
        slug,
        { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
        web,
      );
      expect(refresh.status).toBe(400);
      expect(refresh.body.error).toBe('invalid_grant');
      expect(
        (
          await t.sql(
            `SELECT revocation_reason FROM refresh_token_families WHERE id = (SELECT family_id FROM authorization_codes WHERE used_at IS NOT NULL ORDER BY created_at DESC LIMIT 1)`,
          )
        )[0].revocation_reason,
      ).toBe('code_reuse');
    });

    it('refuses a wrong verifier, a missing verifier and a PKCE downgrade, and is spent afterwards', async () => {
      const s = await authorize(t, slug, {
        clientId: web.clientId,
        redirectUri: cb,
        email: user.email,
        password: user.password,
      });
      expect((await exchange(s.code, pkce().verifier)).body.error).toBe('invalid_grant');
      expect((await exchange(s.code, s.verifier)).body.error).toBe('invalid_grant'); // spent by the failed try
      const s2 = await authorize(t, slug, {
        clientId: web.clientId,
        redirectUri: cb,
        email: user.email,
        password: user.password,
      });
      expect((await exchange(s2.code, undefined)).body.error).toBe('invalid_grant');
      const noPkce = await authorize(t, slug, {
        clientId: web.clientId,
        redirectUri: cb,
        email: user.email,
        password: user.password,
        pkce: false,
      });
      const downgrade = await exchange(noPkce.code, pkce().verifier);
      expect(downgrade.status).toBe(400);
      expect(downgrade.body.error).toBe('invalid_grant');
      expect(downgrade.text).not.toContain('access_token');
    });

    it('refuses a redirect_uri that differs from the authorization request, another client, and an expired code', async () => {
      const s = await authorize(t, slug, {
        clientId: web.clientId,
        redirectUri: cb,
        email: user.email,
        password: user.password,
      });
      const other = await t.given.app(slug, {
        grantTypes: ['authorization_code'],
        redirectUris: [cb],
      });
      expect((await exchange(s.code, s.verifier, {}, other)).body.error).toBe('invalid_grant');
      expect(
        (await exchange(s.code, s.verifier, { redirect_uri: 'https://web.example.test/other' }))
          .body.error,
      ).toBe('invalid_grant');
      const s2 = await authorize(t, slug, {
        clientId: web.clientId,
        redirectUri: cb,
        email: user.email,
        password: user.password,
      });
      const rows = await t.sql(
        `SELECT id FROM authorization_codes ORDER BY created_at DESC LIMIT 1`,
      );
      expect(
        (
          await t.sql(
            `SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM authorization_codes WHERE id = $1`,
            [rows[0].id],
          )
        )[0].ttl,
      ).toBeLessThanOrEqual(60);
      await t.sql(
        `UPDATE authorization_codes SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [rows[0].id],
      ); // 61 s later
      expect((await exchange(s2.code, s2.verifier)).body.error).toBe('invalid_grant');
    });
  });

  describe('credentials', () => {
    it('answers an unknown email and a wrong password alike, and takes about as long', async () => {
      const attempt = async (email: string) => {
        const b = new Browser();
        const page = await b.get(
          `${t.issuer(slug)}/authorize?response_type=code&client_id=${web.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
        );
        const { action, fields } = formOf(page.text);
        fields.set('email', email);
        fields.set('password', 'definitely wrong');
        const started = process.hrtime.bigint();
        const res = await b.post(action, fields);
        return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
      };
      const victim = await t.given.user(slug);
      const wrong = await attempt(victim.email);
      const unknown = await attempt(`nobody-${Date.now()}@example.test`);
      expect(wrong.res.status).toBe(401);
      expect(unknown.res.status).toBe(401);
      const message = (r: typeof wrong) => /role="alert"[^>]*>([^<]+)</.exec(r.res.text)?.[1];
      expect(message(wrong)).toBe('The email or password is incorrect.');
      expect(message(unknown)).toBe(message(wrong));
      // both ran argon2: neither is an order of magnitude faster (timings are reported by the bench, not asserted tightly)
      expect(unknown.ms).toBeGreaterThan(wrong.ms / 10);
    });

    it('throttles an account after repeated failures with 429 and Retry-After, even for the right password', async () => {
      const victim = await t.given.user(slug);
      const b = new Browser();
      const page = await b.get(
        `${t.issuer(slug)}/authorize?response_type=code&client_id=${web.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
      );
      const { action, fields } = formOf(page.text);
      fields.set('email', victim.email);
      for (let i = 0; i < 5; i++) {
        fields.set('password', `wrong ${i}`);
        expect((await b.post(action, fields)).status).toBe(401);
      }
      fields.set('password', victim.password);
      const res = await b.post(action, fields);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.text).toContain('Too many attempts');
      expect(res.headers.get('location')).toBeNull();
    });

    it('gives a new session cookie at sign-in whatever cookie the browser brought (no fixation)', async () => {
      const b = new Browser();
      b.cookies.set('tessera_session', 'attacker-chosen-value-attacker-chosen-value-00');
      const s = await authorize(t, slug, {
        browser: b,
        clientId: web.clientId,
        redirectUri: cb,
        email: user.email,
        password: user.password,
      });
      expect(s.browser.cookies.get('tessera_session')).not.toBe(
        'attacker-chosen-value-attacker-chosen-value-00',
      );
      const planted = new Browser();
      planted.cookies.set('tessera_session', 'attacker-chosen-value-attacker-chosen-value-00');
      expect(
        (
          await planted.get(
            `${t.issuer(slug)}/authorize?response_type=code&client_id=${web.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
          )
        ).status,
      ).toBe(200);
    });

    it('ends a disabled user’s sessions and refuses their sign-in and refresh', async () => {
      const u = await t.given.user(slug);
      const s = await authorize(t, slug, {
        clientId: web.clientId,
        redirectUri: cb,
        email: u.email,
        password: u.password,
      });
      const tokens = (await exchange(s.code, s.verifier)).body;
      const res = await t.json(
        'PATCH',
        `/admin/api/tenants/${slug}/users/${u.id}`,
        { isDisabled: true },
        await t.adminToken(),
      );
      expect(res.status).toBe(200);
      expect(res.body.isDisabled).toBe(true);
      expect(
        (
          await t.token(
            slug,
            { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
            web,
          )
        ).body.error,
      ).toBe('invalid_grant');
      expect(
        await t.sql(`SELECT revocation_reason FROM sessions WHERE user_id = $1`, [u.id]),
      ).toEqual([{ revocation_reason: 'user_disabled' }]);
      await expect(
        authorize(t, slug, {
          browser: s.browser,
          clientId: web.clientId,
          redirectUri: cb,
          email: u.email,
          password: u.password,
        }),
      ).rejects.toThrow(/sign-in: 401/);
    });
  });
});
