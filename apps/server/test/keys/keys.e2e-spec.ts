import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { TesseraVerifier, TokenRejectedError } from '@tessera/nest-guards';
import { isServerMode } from '../../../../test-setup/test-database';
import {
  basic,
  claims,
  eventually,
  form,
  send,
  signIn,
  startTestServer,
  useTestServer,
} from '../support/harness';
import { world as securityWorld } from '../support/world';

describe('signing keys: ES256 by default, next → active → retired', () => {
  const t = useTestServer();
  let slug: string;
  let rs: string;
  let app: { clientId: string; secret: string };

  const issue = async () =>
    (
      await t.token(
        slug,
        { grant_type: 'client_credentials' },
        { clientId: app.clientId, secret: app.secret },
      )
    ).body.access_token as string;
  const jwks = async () =>
    (await send(`${t.issuer(slug)}/jwks.json`)).body as { keys: Array<Record<string, string>> };
  const verify = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await jwks()), {
      issuer: t.issuer(slug),
      audience: rs,
      typ: 'at+jwt',
    });

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    rs = (await t.given.resourceServer(slug, { scopes: [{ name: 'x', description: '' }] }))
      .identifier;
    app = await t.given.app(slug, {
      grants: [{ resourceServer: rs, scopes: ['x'], flows: ['client_credentials'] }],
    });
  });

  it('publishes public keys only, each with kid, alg and use', async () => {
    const res = await send(`${t.issuer(slug)}/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/jwk-set\+json/);
    expect(res.body.keys).toHaveLength(2); // the active key and the next one
    for (const k of res.body.keys) {
      expect(k).toEqual({
        kty: 'EC',
        crv: 'P-256',
        x: expect.any(String),
        y: expect.any(String),
        kid: expect.any(String),
        alg: 'ES256',
        use: 'sig',
      });
    }
  });

  it('keeps private keys encrypted at rest', async () => {
    const tenantId = (await t.sql(`SELECT id FROM tenants WHERE slug = $1`, [slug]))[0].id;
    const rows = await t.sql(
      `SELECT kid, private_key_enc, public_jwk FROM signing_keys WHERE tenant_id = $1`,
      [tenantId],
    );
    for (const r of rows) {
      expect(r.public_jwk.d).toBeUndefined();
      expect(r.private_key_enc.toString('latin1')).not.toContain('BEGIN');
      // a PKCS#8 P-256 key in clear would begin with this DER prefix
      expect(r.private_key_enc.subarray(0, 4).toString('hex')).not.toBe('30818702');
    }
  });

  it('publishes the next key before it signs; after rotation old and new tokens both verify, then the old key retires', async () => {
    const before = await issue();
    const oldKid = decodeProtectedHeader(before).kid!;
    const published = (await jwks()).keys.map((k) => k.kid);
    const nextKid = published.find((k) => k !== oldKid)!;

    const rotated = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/keys/rotate`,
      { force: true },
      await t.adminToken(),
    );
    expect(rotated.status).toBe(200);
    const states = Object.fromEntries(
      rotated.body.map((k: { kid: string; state: string }) => [k.kid, k.state]),
    );
    expect(states[oldKid]).toBe('retired');
    expect(states[nextKid]).toBe('active');
    expect(Object.values(states).filter((s) => s === 'next')).toHaveLength(1);

    const after = await issue();
    expect(decodeProtectedHeader(after).kid).toBe(nextKid); // the key that was published in advance
    await expect(verify(before)).resolves.toBeTruthy();
    await expect(verify(after)).resolves.toBeTruthy();
    const retired = rotated.body.find((k: { kid: string }) => k.kid === oldKid);
    expect(retired.isPublished).toBe(true);
    expect(new Date(retired.publishUntil).getTime()).toBeGreaterThan(Date.now() + 300_000); // ≥ the longest access token lifetime

    // once every token it signed has expired, the retired key leaves the JWKS
    await t.sql(
      `UPDATE signing_keys SET publish_until = now() - interval '1 second' WHERE kid = $1`,
      [oldKid],
    );
    await t.json(
      'POST',
      `/admin/api/tenants/${slug}/keys/rotate`,
      { force: true },
      await t.adminToken(),
    ); // also drops the JWKS cache
    expect((await jwks()).keys.map((k) => k.kid)).not.toContain(oldKid);
  });

  it('keeps a retired key published until the last ID token it signed has expired, though ID tokens outlive access tokens', async () => {
    const cb = 'https://app.example.test/cb';
    const web = await t.given.app(slug, { grantTypes: ['authorization_code'], redirectUris: [cb] });
    const user = await t.given.user(slug);
    const s = await signIn(t, slug, {
      app: web,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'openid',
    });
    const kid = decodeProtectedHeader(s.id_token).kid!;
    const accessTtl = claims(s.access_token).exp - claims(s.access_token).iat;
    const idExp = claims(s.id_token).exp;
    expect(idExp - claims(s.id_token).iat).toBeGreaterThan(accessTtl); // the case that matters
    const rotated = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/keys/rotate`,
      { force: true },
      await t.adminToken(),
    );
    const retired = rotated.body.find((k: { kid: string }) => k.kid === kid);
    expect(retired.state).toBe('retired');
    expect(new Date(retired.publishUntil).getTime()).toBeGreaterThanOrEqual(idExp * 1000);
    const [row] = await t.sql(
      `SELECT extract(epoch FROM publish_until)::float8 AS until FROM signing_keys WHERE kid = $1`,
      [kid],
    );
    expect(row.until).toBeGreaterThanOrEqual(idExp); // what the JWKS query reads
    await expect(
      jwtVerify(s.id_token, createLocalJWKSet(await jwks()), {
        issuer: t.issuer(slug),
        audience: web.clientId,
      }),
    ).resolves.toBeTruthy();
  });

  it('signs with EdDSA for a tenant that chose it', async () => {
    const ed = await t.given.tenant({ signingAlg: 'EdDSA' });
    const edRs = (
      await t.given.resourceServer(ed.slug, { scopes: [{ name: 'x', description: '' }] })
    ).identifier;
    const edApp = await t.given.app(ed.slug, {
      grants: [{ resourceServer: edRs, scopes: ['x'], flows: ['client_credentials'] }],
    });
    const token = (
      await t.token(
        ed.slug,
        { grant_type: 'client_credentials' },
        { clientId: edApp.clientId, secret: edApp.secret },
      )
    ).body.access_token;
    expect(decodeProtectedHeader(token).alg).toBe('EdDSA');
    const set = (await send(`${ed.issuer}/jwks.json`)).body;
    expect(set.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    await expect(
      jwtVerify(token, createLocalJWKSet(set), { issuer: ed.issuer, audience: edRs }),
    ).resolves.toBeTruthy();
  });

  it('keeps every token verifiable while rotations run under load', async () => {
    const tokens: string[] = [];
    const traffic = (async () => {
      for (let i = 0; i < 40; i++) tokens.push(await issue());
    })();
    for (let i = 0; i < 3; i++)
      expect(
        (
          await t.json(
            'POST',
            `/admin/api/tenants/${slug}/keys/rotate`,
            { force: true },
            await t.adminToken(),
          )
        ).status,
      ).toBe(200);
    await traffic;
    const set = createLocalJWKSet(await jwks());
    for (const token of tokens)
      await expect(
        jwtVerify(token, set, { issuer: t.issuer(slug), audience: rs }),
      ).resolves.toBeTruthy();
  });

  it('refuses to activate a next key validators cannot have fetched yet, unless forced (409 + Retry-After)', async () => {
    const { slug: fresh } = await t.given.tenant();
    const res = await t.json(
      'POST',
      `/admin/api/tenants/${fresh}/keys/rotate`,
      undefined,
      await t.adminToken(),
    );
    expect(res.status).toBe(409);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.body.code).toBe('conflict');
    const states = (await t.get(`/admin/api/tenants/${fresh}/keys`, await t.adminToken())).body
      .map((k: { state: string }) => k.state)
      .sort();
    expect(states).toEqual(['active', 'next']); // nothing changed
    const forced = await t.json(
      'POST',
      `/admin/api/tenants/${fresh}/keys/rotate`,
      { force: true },
      await t.adminToken(),
    );
    expect(forced.status).toBe(200);
  });
});

describe('key withdrawal: a leaked key leaves at once (issue §4)', () => {
  const t = useTestServer();
  /** The security suites' tenant, with what these cases add: its keys, introspection at any instance. */
  async function world() {
    const w = await securityWorld(t);
    const tenant = { id: w.tenantId, slug: w.slug };
    const signInUser = () => w.signIn();
    const introspect = async (token: string, server = t.url) =>
      (
        await send(`${server}/t/${tenant.slug}/introspect`, {
          method: 'POST',
          headers: {
            authorization: basic(w.rsCreds.clientId, w.rsCreds.secret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: form({ token }),
        })
      ).body as { active: boolean };
    const keys = async (): Promise<Array<Record<string, any>>> =>
      (await t.get(`/admin/api/tenants/${tenant.slug}/keys`, await t.adminToken())).body;
    const withdraw = async (kid: string, slug = tenant.slug) =>
      t.json('POST', `/admin/api/tenants/${slug}/keys/${kid}/withdraw`, {}, await t.adminToken());
    const published = async () =>
      ((await send(`${w.issuer}/jwks.json`)).body.keys as Array<{ kid: string }>).map((k) => k.kid);
    const guard = (o: Partial<ConstructorParameters<typeof TesseraVerifier>[0]> = {}) =>
      new TesseraVerifier({
        issuer: w.issuer,
        audience: w.rs.identifier,
        mode: 'jwt+feed',
        clientId: w.web.clientId,
        clientSecret: w.web.secret,
        ...o,
      });
    return { tenant, web: w.web, signInUser, introspect, keys, withdraw, published, guard };
  }
  const kidOf = (token: string) => decodeProtectedHeader(token).kid!;

  it('withdraws a retired key: out of the JWKS and refused by introspection at once, by guards following the feed or refetching the JWKS soon after; sessions live on', async () => {
    const w = await world();
    const following = w.guard();
    // no feed: only its verified-token cache stands between a withdrawn key and the handler
    const jwtOnly = w.guard({ mode: 'jwt', jwksCacheMaxAgeSeconds: 2 });
    await Promise.all([following.init(), jwtOnly.init()]);
    try {
      const s = await w.signInUser();
      const leaked = kidOf(s.access_token);
      await expect(following.verify(s.access_token)).resolves.toBeTruthy();
      await expect(jwtOnly.verify(s.access_token)).resolves.toBeTruthy(); // now cached
      const rotated = await t.json(
        'POST',
        `/admin/api/tenants/${w.tenant.slug}/keys/rotate`,
        { force: true },
        await t.adminToken(),
      );
      expect(rotated.status).toBe(200);
      expect((await w.introspect(s.access_token)).active).toBe(true); // retired, still published

      const res = await w.withdraw(leaked);
      expect(res.status).toBe(200);
      expect(res.body.find((k: { kid: string }) => k.kid === leaked)).toMatchObject({
        state: 'withdrawn',
        isPublished: false,
        withdrawnAt: expect.any(String),
      });
      // at once: no sleep, no retry
      expect(await w.published()).not.toContain(leaked);
      expect(await w.introspect(s.access_token)).toEqual({ active: false });
      const [row] = await t.sql(`SELECT state FROM signing_keys WHERE kid = $1`, [leaked]);
      expect(row.state).toBe('withdrawn');
      // within the feed's latency; within a JWKS refetch for the guard without a feed
      await eventually(() =>
        expect(following.verify(s.access_token)).rejects.toBeInstanceOf(TokenRejectedError),
      );
      await eventually(() =>
        expect(jwtOnly.verify(s.access_token)).rejects.toBeInstanceOf(TokenRejectedError),
      );
      // the ID token it signed no longer verifies either
      const set = createLocalJWKSet((await send(`${t.issuer(w.tenant.slug)}/jwks.json`)).body);
      await expect(
        jwtVerify(s.id_token, set, { issuer: t.issuer(w.tenant.slug) }),
      ).rejects.toThrow();

      // the session and its refresh token live on: the next token is signed by the active key
      const refreshed = await t.token(
        w.tenant.slug,
        { grant_type: 'refresh_token', refresh_token: s.refresh_token },
        w.web,
      );
      expect(refreshed.status).toBe(200);
      expect(kidOf(refreshed.body.access_token)).not.toBe(leaked);
      expect((await w.introspect(refreshed.body.access_token)).active).toBe(true);
      await expect(following.verify(refreshed.body.access_token)).resolves.toBeTruthy();
      await expect(jwtOnly.verify(refreshed.body.access_token)).resolves.toBeTruthy();

      const feed = await send(`${t.issuer(w.tenant.slug)}/revocations?after=0`, {
        headers: { authorization: basic(w.web.clientId, w.web.secret) },
      });
      expect(feed.body.events.filter((e: { type: string }) => e.type === 'key')).toEqual([
        {
          id: expect.stringMatching(/^\d+$/),
          type: 'key',
          kid: leaked,
          exp: expect.any(Number),
          reason: 'withdrawn',
        },
      ]);
      const audit = (
        await t.get(
          `/admin/api/tenants/${w.tenant.slug}/audit?type=key_withdrawn`,
          await t.adminToken(),
        )
      ).body;
      expect(audit).toEqual([
        expect.objectContaining({
          type: 'key_withdrawn',
          detail: { kid: leaked, state: 'retired', byAdmin: expect.any(String) },
        }),
      ]);
    } finally {
      following.close();
      jwtOnly.close();
    }
  });

  it('withdrawing the active key activates the next one at once; the tenant keeps an active and a next key', async () => {
    const w = await world();
    const s = await w.signInUser();
    const leaked = kidOf(s.access_token);
    const next = (await w.keys()).find((k) => k.state === 'next')!.kid;
    const res = await w.withdraw(leaked);
    expect(res.status).toBe(200);
    const states = Object.fromEntries(
      res.body.map((k: { kid: string; state: string }) => [k.kid, k.state]),
    );
    expect(states[leaked]).toBe('withdrawn');
    expect(states[next]).toBe('active');
    expect(Object.values(states).sort()).toEqual(['active', 'next', 'withdrawn']);
    expect(await w.introspect(s.access_token)).toEqual({ active: false });
    const again = await w.signInUser();
    expect(kidOf(again.access_token)).toBe(next);
    expect((await w.introspect(again.access_token)).active).toBe(true);
    expect(await w.published()).toEqual(expect.arrayContaining([next]));
    expect(await w.published()).not.toContain(leaked);
  });

  it('withdraws a next key before it ever signed, replacing it; 404 for an unknown kid or another tenant’s; a second withdrawal changes nothing', async () => {
    const w = await world();
    const other = await world();
    const theirs = (await other.keys()).find((k) => k.state === 'active')!.kid;
    const before = await other.keys();
    for (const kid of ['no-such-kid', theirs, '%27%20OR%20%271%27%3D%271'])
      expect({ kid, ...(await w.withdraw(kid)).body }).toEqual({
        kid,
        type: 'about:blank',
        status: 404,
        code: 'not_found',
        detail: 'Key not found',
      });
    expect(await other.keys()).toEqual(before);

    const next = (await w.keys()).find((k) => k.state === 'next')!.kid;
    const res = await w.withdraw(next);
    expect(res.status).toBe(200);
    const states = res.body.map((k: { state: string }) => k.state).sort();
    expect(states).toEqual(['active', 'next', 'withdrawn']);
    expect(await w.published()).not.toContain(next);
    const count = async () =>
      Number(
        (
          await t.sql(
            `SELECT count(*)::int AS n FROM revocation_events WHERE tenant_id = $1 AND type = 'key'`,
            [w.tenant.id],
          )
        )[0].n,
      );
    expect(await count()).toBe(1);
    expect((await w.withdraw(next)).status).toBe(200);
    expect(await count()).toBe(1);
    expect((await w.keys()).map((k) => k.state).sort()).toEqual(['active', 'next', 'withdrawn']);
  });

  (isServerMode() ? it : it.skip)(
    'takes the key out of another instance’s JWKS and signer at once, not after its 5 s cache',
    async () => {
      const w = await world();
      const b = await startTestServer(t.databaseUrl);
      try {
        let current = (await w.signInUser()).refresh_token;
        const viaB = async () =>
          (
            await send(`${b.url}/t/${w.tenant.slug}/token`, {
              method: 'POST',
              headers: {
                authorization: basic(w.web.clientId, w.web.secret),
                'content-type': 'application/x-www-form-urlencoded',
              },
              body: form({ grant_type: 'refresh_token', refresh_token: current }),
            })
          ).body as { access_token: string; refresh_token: string };
        // B has cached the signer and the published keys just now
        const first = await viaB();
        current = first.refresh_token;
        const leaked = kidOf(first.access_token);
        const jwksOfB = async () =>
          (
            (await send(`${b.url}/t/${w.tenant.slug}/jwks.json`)).body.keys as Array<{
              kid: string;
            }>
          ).map((k) => k.kid);
        expect(await jwksOfB()).toContain(leaked);

        expect((await w.withdraw(leaked)).status).toBe(200); // through instance A
        // introspection on B refuses at once, whatever B's key cache still holds
        expect(await w.introspect(first.access_token, b.url)).toEqual({ active: false });
        await eventually(async () => expect(await jwksOfB()).not.toContain(leaked), 2000);
        await eventually(async () => {
          const minted = await viaB();
          current = minted.refresh_token;
          expect(kidOf(minted.access_token)).not.toBe(leaked);
        }, 2000);
      } finally {
        await b.server.stop();
      }
    },
  );
});
