import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { claims, send, signIn, useTestServer } from '../support/harness';

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
