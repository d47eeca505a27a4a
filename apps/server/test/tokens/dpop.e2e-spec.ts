import * as oidc from 'openid-client';
import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import { randomUUID } from 'node:crypto';
import {
  basic,
  Browser,
  claims,
  form,
  send,
  useTestServer,
  type Reply,
  type TestServer,
} from '../support/harness';
import { formOf } from '../support/browser';
import { RetentionService } from '../../src/retention';

// RFC 9449 at the token endpoint, driven by openid-client (a certified relying party) unmodified;
// the malformed proofs no client library would send are made here with jose.

const cb = 'https://app.example.test/cb';

interface KeyPair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

const thumbprint = async (k: KeyPair) => calculateJwkThumbprint(await exportJWK(k.publicKey));
const es256 = () => generateKeyPair('ES256', { extractable: true }) as Promise<KeyPair>;

/** A tenant with one API (scope `a`), a user allowed it, and introspection credentials for it. */
async function world(t: TestServer) {
  const { slug } = await t.given.tenant();
  const rs = await t.given.resourceServer(slug, { scopes: [{ name: 'a', description: '' }] });
  const user = await t.given.user(slug, {
    permissions: [{ resourceServer: rs.identifier, scopes: ['a'] }],
  });
  const rsCreds = await t.given.resourceServerCredentials(slug, rs.id);
  const introspect = (token: string) =>
    send(`${t.issuer(slug)}/introspect`, {
      method: 'POST',
      headers: {
        authorization: basic(rsCreds.clientId, rsCreds.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form({ token }),
    });
  return { slug, api: rs.identifier, user, introspect };
}

type World = Awaited<ReturnType<typeof world>>;

/** A public client signing in with code + PKCE through openid-client, its token request with DPoP. */
async function publicClient(t: TestServer, w: World, body: Record<string, unknown> = {}) {
  const app = await t.given.app(w.slug, {
    type: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [cb],
    grants: [{ resourceServer: w.api, scopes: ['a'], flows: ['user'] }],
    ...body,
  });
  // every response openid-client receives from the token endpoint, in order
  const seen: Array<{ status: number; error?: string; nonce: string | null }> = [];
  const config = await oidc.discovery(
    new URL(t.issuer(w.slug)),
    app.clientId,
    undefined,
    oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
  config[oidc.customFetch] = async (url, init) => {
    const res = await fetch(url, init as RequestInit);
    if (url.endsWith('/token')) {
      const text = await res.clone().text();
      seen.push({
        status: res.status,
        error: res.status === 200 ? undefined : (JSON.parse(text) as { error: string }).error,
        nonce: res.headers.get('dpop-nonce'),
      });
    }
    return res;
  };
  const signIn = async (dpop?: oidc.DPoPHandle) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: cb,
      scope: 'a',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const b = new Browser();
    const page = await b.get(url.href);
    const { action, fields } = formOf(page.text);
    fields.set('email', w.user.email);
    fields.set('password', w.user.password);
    const back = await b.post(action, fields);
    return oidc.authorizationCodeGrant(
      config,
      new URL(back.headers.get('location')!),
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      dpop ? { DPoP: dpop } : undefined,
    );
  };
  return { app, config, signIn, seen };
}

/** The family row of the sign-in an access token was minted from. */
async function familyOf(t: TestServer, accessToken: string) {
  const [row] = await t.sql<{ dpop_jkt: string | null; revoked_at: Date | null; sid: string }>(
    `SELECT f.dpop_jkt, f.revoked_at, f.session_id AS sid FROM refresh_token_families f WHERE f.id = $1`,
    [claims(accessToken).family_id],
  );
  return row;
}

async function sessionRevoked(t: TestServer, sid: string) {
  const [row] = await t.sql<{ revoked_at: Date | null }>(
    `SELECT revoked_at FROM sessions WHERE id = $1`,
    [sid],
  );
  return row.revoked_at !== null;
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: { error?: string; status?: number }) => ({ error: err.error, status: err.status }),
  );

describe('DPoP at the token endpoint (RFC 9449)', () => {
  const t = useTestServer();

  it('advertises exactly the proof algorithms it accepts', async () => {
    const { slug } = await t.given.tenant();
    const res = await t.get(`/t/${slug}/.well-known/openid-configuration`);
    expect(res.body.dpop_signing_alg_values_supported).toEqual([
      'ES256',
      'EdDSA',
      'Ed25519',
      'PS256',
      'RS256',
    ]);
  });

  describe('a public client with code + PKCE (openid-client)', () => {
    it.each([['ES256'], ['EdDSA']])(
      'binds the access token and the refresh family to its %s key; a refresh with the key works',
      async (alg) => {
        const w = await world(t);
        const c = await publicClient(t, w);
        const keys = await oidc.randomDPoPKeyPair(alg, { extractable: true });
        const jkt = await thumbprint(keys);
        const dpop = oidc.getDPoPHandle(c.config, keys);
        const tokens = await c.signIn(dpop);
        expect(tokens.token_type).toBe('dpop');
        expect(claims(tokens.access_token).cnf).toEqual({ jkt });
        expect((await familyOf(t, tokens.access_token)).dpop_jkt).toBe(jkt);

        const refreshed = await oidc.refreshTokenGrant(c.config, tokens.refresh_token!, undefined, {
          DPoP: dpop,
        });
        expect(refreshed.token_type).toBe('dpop');
        expect(claims(refreshed.access_token).cnf).toEqual({ jkt });
        expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

        const seen = await w.introspect(refreshed.access_token);
        expect(seen.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
      },
    );

    it('without a proof, issues Bearer tokens and leaves the family unbound', async () => {
      const w = await world(t);
      const c = await publicClient(t, w);
      const tokens = await c.signIn();
      expect(tokens.token_type).toBe('bearer');
      expect(claims(tokens.access_token).cnf).toBeUndefined();
      expect((await familyOf(t, tokens.access_token)).dpop_jkt).toBeNull();
      expect((await w.introspect(tokens.access_token)).body).toMatchObject({
        active: true,
        token_type: 'Bearer',
      });
      expect((await w.introspect(tokens.access_token)).body.cnf).toBeUndefined();
    });

    it('refuses the bound refresh token with another key’s proof, and revokes the family (onReuse revoke-family)', async () => {
      const w = await world(t);
      const c = await publicClient(t, w, { policy: { onReuse: 'revoke-family' } });
      const dpop = oidc.getDPoPHandle(c.config, await es256());
      const tokens = await c.signIn(dpop);
      const thief = oidc.getDPoPHandle(c.config, await es256());

      const refused = await refusal(
        oidc.refreshTokenGrant(c.config, tokens.refresh_token!, undefined, { DPoP: thief }),
      );
      expect(refused).toEqual({ error: 'invalid_grant', status: 400 });
      const family = await familyOf(t, tokens.access_token);
      expect(family.revoked_at).not.toBeNull();
      // the stolen token is treated as a reuse: what the family minted ends, the holder's refresh too
      expect((await w.introspect(tokens.access_token)).body).toEqual({ active: false });
      expect(
        await refusal(
          oidc.refreshTokenGrant(c.config, tokens.refresh_token!, undefined, { DPoP: dpop }),
        ),
      ).toEqual({ error: 'invalid_grant', status: 400 });
      // revoke-family: the session itself lives on
      expect(await sessionRevoked(t, family.sid)).toBe(false);
      const [audit] = await t.sql(
        `SELECT detail FROM audit_events WHERE type = 'refresh_token_reuse' AND session_id = $1`,
        [family.sid],
      );
      expect(audit.detail).toMatchObject({ cause: 'dpop_key', action: 'revoke-family' });
    });

    it('refuses the bound refresh token without any proof, and ends the session (onReuse revoke-session)', async () => {
      const w = await world(t);
      const c = await publicClient(t, w, { policy: { onReuse: 'revoke-session' } });
      const dpop = oidc.getDPoPHandle(c.config, await es256());
      const tokens = await c.signIn(dpop);

      const refused = await refusal(oidc.refreshTokenGrant(c.config, tokens.refresh_token!));
      expect(refused).toEqual({ error: 'invalid_grant', status: 400 });
      const family = await familyOf(t, tokens.access_token);
      expect(await sessionRevoked(t, family.sid)).toBe(true);
      expect((await w.introspect(tokens.access_token)).body).toEqual({ active: false });
      expect(
        await refusal(
          oidc.refreshTokenGrant(c.config, tokens.refresh_token!, undefined, { DPoP: dpop }),
        ),
      ).toEqual({ error: 'invalid_grant', status: 400 });
    });

    it('with dpopNonces, answers use_dpop_nonce with a DPoP-Nonce; openid-client retries with it and succeeds', async () => {
      const w = await world(t);
      const c = await publicClient(t, w, { dpopNonces: true });
      const keys = await es256();
      const dpop = oidc.getDPoPHandle(c.config, keys);
      const tokens = await c.signIn(dpop);
      expect(claims(tokens.access_token).cnf).toEqual({ jkt: await thumbprint(keys) });
      expect(c.seen.map((s) => [s.status, s.error])).toEqual([
        [400, 'use_dpop_nonce'],
        [200, undefined],
      ]);
      expect(c.seen[0].nonce).toEqual(expect.any(String));
      expect(c.seen[1].nonce).toEqual(expect.any(String)); // a fresh one for the next proof
      // the next request carries the nonce it was given: no second round trip
      await oidc.refreshTokenGrant(c.config, tokens.refresh_token!, undefined, { DPoP: dpop });
      expect(c.seen.map((s) => s.status)).toEqual([400, 200, 200]);
    });
  });

  describe('a confidential client', () => {
    it('gets a bound token from client_credentials with DPoP; introspection shows cnf', async () => {
      const w = await world(t);
      const app = await t.given.app(w.slug, {
        grants: [{ resourceServer: w.api, scopes: ['a'], flows: ['client_credentials'] }],
      });
      const config = await oidc.discovery(
        new URL(t.issuer(w.slug)),
        app.clientId,
        app.secret,
        undefined,
        { execute: [oidc.allowInsecureRequests] },
      );
      const keys = await es256();
      const tokens = await oidc.clientCredentialsGrant(config, undefined, {
        DPoP: oidc.getDPoPHandle(config, keys),
      });
      const jkt = await thumbprint(keys);
      expect(tokens.token_type).toBe('dpop');
      expect(claims(tokens.access_token).cnf).toEqual({ jkt });
      expect((await w.introspect(tokens.access_token)).body).toMatchObject({
        active: true,
        token_type: 'DPoP',
        cnf: { jkt },
      });
    });

    it('binds its access tokens per request but not its refresh family (RFC 9449 §5)', async () => {
      const w = await world(t);
      const app = await t.given.app(w.slug, {
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [cb],
        grants: [{ resourceServer: w.api, scopes: ['a'], flows: ['user'] }],
      });
      const config = await oidc.discovery(
        new URL(t.issuer(w.slug)),
        app.clientId,
        app.secret,
        undefined,
        { execute: [oidc.allowInsecureRequests] },
      );
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: cb,
        scope: 'a',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 's',
      });
      const b = new Browser();
      const page = await b.get(url.href);
      const { action, fields } = formOf(page.text);
      fields.set('email', w.user.email);
      fields.set('password', w.user.password);
      const back = await b.post(action, fields);
      const keys = await es256();
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(back.headers.get('location')!),
        { pkceCodeVerifier: verifier, expectedState: 's' },
        undefined,
        { DPoP: oidc.getDPoPHandle(config, keys) },
      );
      expect(claims(tokens.access_token).cnf).toEqual({ jkt: await thumbprint(keys) });
      expect((await familyOf(t, tokens.access_token)).dpop_jkt).toBeNull();
      // it authenticates at every refresh: a refresh without a proof is a plain Bearer one
      const plain = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(plain.token_type).toBe('bearer');
      expect(claims(plain.access_token).cnf).toBeUndefined();
    });
  });

  describe('proof checks (RFC 9449 §4.3), each refused before anything is spent', () => {
    let w: World;
    let app: { clientId: string; secret: string };
    let htu: string;
    let keys: KeyPair;
    let jwk: JWK;

    beforeAll(async () => {
      w = await world(t);
      app = await t.given.app(w.slug, {
        grants: [{ resourceServer: w.api, scopes: ['a'], flows: ['client_credentials'] }],
      });
      htu = `${t.issuer(w.slug)}/token`;
      keys = await es256();
      jwk = await exportJWK(keys.publicKey);
    });

    const now = () => Math.floor(Date.now() / 1000);
    const proof = (
      o: {
        header?: Record<string, unknown>;
        payload?: Record<string, unknown>;
        key?: CryptoKey | Uint8Array;
      } = {},
    ) =>
      new SignJWT({ htm: 'POST', htu, iat: now(), jti: randomUUID(), ...o.payload })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...o.header } as never)
        .sign(o.key ?? keys.privateKey);
    const request = (dpop?: string | string[]) => {
      const headers = new Headers({
        authorization: basic(app.clientId, app.secret),
        'content-type': 'application/x-www-form-urlencoded',
      });
      for (const p of dpop === undefined ? [] : Array.isArray(dpop) ? dpop : [dpop])
        headers.append('DPoP', p);
      return send(htu, {
        method: 'POST',
        headers,
        body: form({ grant_type: 'client_credentials' }),
      });
    };
    const expectRefused = async (res: Reply, error = 'invalid_dpop_proof') => {
      expect(res.status).toBe(400);
      expect(res.body.error).toBe(error);
      expect(res.body.access_token).toBeUndefined();
      // the same request with a good proof passes: the proof alone was refused
      const ok = await request(await proof());
      expect(ok.status).toBe(200);
      expect(claims(ok.body.access_token).cnf).toEqual({ jkt: await thumbprint(keys) });
    };

    it('refuses a replayed proof (same jti), on its second presentation only', async () => {
      const p = await proof();
      const first = await request(p);
      expect(first.status).toBe(200);
      expect(first.body.token_type).toBe('DPoP');
      await expectRefused(await request(p));
      const [row] = await t.sql(`SELECT expires_at > now() AS kept FROM dpop_proofs LIMIT 1`);
      expect(row.kept).toBe(true);
    });

    it('keeps a proof’s jti until the proof is out of its window; the retention job deletes it after', async () => {
      const p = await proof();
      expect((await request(p)).status).toBe(200);
      const [kept] = await t.sql<{ seconds: number }>(
        `SELECT extract(epoch FROM expires_at - now())::float8 AS seconds FROM dpop_proofs
         WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1) ORDER BY expires_at DESC LIMIT 1`,
        [w.slug],
      );
      // iat may run 60 s ahead and 60 s late: two windows, so no replay outlives its row
      expect(kept.seconds).toBeGreaterThan(100);
      expect(kept.seconds).toBeLessThanOrEqual(120);
      const before = (await t.sql(`SELECT count(*)::int AS n FROM dpop_proofs`))[0].n as number;
      await t.sql(
        `UPDATE dpop_proofs SET expires_at = now() - interval '1 second'
         WHERE ctid = (SELECT ctid FROM dpop_proofs ORDER BY expires_at DESC LIMIT 1)`,
      );
      const pruned = await t.server.app.get(RetentionService).runOnce();
      expect(pruned.dpop_proofs).toBe(1);
      expect((await t.sql(`SELECT count(*)::int AS n FROM dpop_proofs`))[0].n).toBe(before - 1);
    });

    it('refuses a proof for another htu', async () => {
      await expectRefused(await request(await proof({ payload: { htu: `${htu}/../other` } })));
      await expectRefused(
        await request(await proof({ payload: { htu: htu.replace('127.0.0.1', 'localhost') } })),
      );
      await expectRefused(await request(await proof({ payload: { htu: undefined } })));
    });

    it('accepts an htu that differs only by query, fragment or letter case of scheme and host', async () => {
      const odd = htu.replace('http://', 'HTTP://') + '?x=1#frag';
      const res = await request(await proof({ payload: { htu: odd } }));
      expect(res.status).toBe(200);
    });

    it('refuses a proof for another htm', async () => {
      await expectRefused(await request(await proof({ payload: { htm: 'GET' } })));
    });

    it('refuses alg none and HS256 proofs', async () => {
      const enc = (o: object) => base64url.encode(JSON.stringify(o));
      const none = `${enc({ alg: 'none', typ: 'dpop+jwt', jwk })}.${enc({
        htm: 'POST',
        htu,
        iat: now(),
        jti: randomUUID(),
      })}.`;
      await expectRefused(await request(none));
      const secret = new TextEncoder().encode('a shared secret of thirty-two by');
      await expectRefused(
        await request(
          await proof({
            header: { alg: 'HS256', jwk: { kty: 'oct', k: base64url.encode(secret) } },
            key: secret,
          }),
        ),
      );
    });

    it('refuses a proof whose jwk carries the private key', async () => {
      const priv = await exportJWK(keys.privateKey);
      await expectRefused(await request(await proof({ header: { jwk: priv } })));
    });

    it('refuses a proof signed by another key than its jwk', async () => {
      const other = await es256();
      await expectRefused(await request(await proof({ key: other.privateKey })));
    });

    it('refuses a proof without typ dpop+jwt, or without jti', async () => {
      await expectRefused(await request(await proof({ header: { typ: 'JWT' } })));
      // RFC 9449 §4.2 names the typ exactly; jose alone would take the media-type spelling
      await expectRefused(await request(await proof({ header: { typ: 'application/dpop+jwt' } })));
      await expectRefused(await request(await proof({ header: { typ: 'DPoP+JWT' } })));
      await expectRefused(await request(await proof({ payload: { jti: undefined } })));
    });

    it('refuses an iat out of the ±60 s window', async () => {
      await expectRefused(await request(await proof({ payload: { iat: now() - 300 } })));
      await expectRefused(await request(await proof({ payload: { iat: now() + 300 } })));
    });

    it('refuses two DPoP headers', async () => {
      await expectRefused(await request([await proof(), await proof()]));
    });
  });

  describe('application settings', () => {
    it('requireDpop refuses a plain request and takes a proof', async () => {
      const w = await world(t);
      const app = await t.given.app(w.slug, {
        grants: [{ resourceServer: w.api, scopes: ['a'], flows: ['client_credentials'] }],
        requireDpop: true,
      });
      expect(app.body.application).toMatchObject({ requireDpop: true, dpopNonces: false });
      const plain = await t.token(w.slug, { grant_type: 'client_credentials' }, app);
      expect(plain.status).toBe(400);
      expect(plain.body.error).toBe('invalid_dpop_proof');
      expect(plain.body.access_token).toBeUndefined();
      const config = await oidc.discovery(
        new URL(t.issuer(w.slug)),
        app.clientId,
        app.secret,
        undefined,
        { execute: [oidc.allowInsecureRequests] },
      );
      const tokens = await oidc.clientCredentialsGrant(config, undefined, {
        DPoP: oidc.getDPoPHandle(config, await es256()),
      });
      expect(claims(tokens.access_token).cnf.jkt).toEqual(expect.any(String));
    });

    it('dpopNonces refuses a proof with a nonce it did not issue, answering a fresh one', async () => {
      const w = await world(t);
      const app = await t.given.app(w.slug, {
        grants: [{ resourceServer: w.api, scopes: ['a'], flows: ['client_credentials'] }],
        dpopNonces: true,
      });
      const keys = await es256();
      const htu = `${t.issuer(w.slug)}/token`;
      const post = async (nonce: string) =>
        send(htu, {
          method: 'POST',
          headers: {
            authorization: basic(app.clientId, app.secret),
            'content-type': 'application/x-www-form-urlencoded',
            dpop: await new SignJWT({
              htm: 'POST',
              htu,
              iat: Math.floor(Date.now() / 1000),
              jti: randomUUID(),
              nonce,
            })
              .setProtectedHeader({
                alg: 'ES256',
                typ: 'dpop+jwt',
                jwk: await exportJWK(keys.publicKey),
              })
              .sign(keys.privateKey),
          },
          body: form({ grant_type: 'client_credentials' }),
        });
      // a nonce of the right shape for an old window, and one of another tenant's client
      const forged = base64url.encode(new Uint8Array(20));
      const refused = await post(forged);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('use_dpop_nonce');
      const nonce = refused.headers.get('dpop-nonce')!;
      expect(nonce).toEqual(expect.any(String));
      const ok = await post(nonce);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('dpop-nonce')).toEqual(expect.any(String));
    });
  });
});
