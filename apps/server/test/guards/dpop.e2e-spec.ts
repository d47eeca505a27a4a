import { Controller, Get, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  Principal,
  RequireScopes,
  TesseraAuthModule,
  type TesseraAuthOptions,
  type TesseraPrincipal,
} from '@tessera/nest-guards';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import * as oidc from 'openid-client';
import { freePort, send } from '../support/harness';
import { hs256, StubIssuer, unsigned } from '../support/jwt-issuer';

/**
 * The resource-server side of DPoP (RFC 9449 §7): the guard library in front of a real Nest route,
 * over HTTP, with tokens bound to a key (`cnf.jkt`) by a stub issuer. Every refusal is a 401 with
 * the scheme's challenge, no detail, and the handler never ran.
 */
const AUDIENCE = 'https://api.example.test/orders';
const ALGS = 'algs="ES256 EdDSA Ed25519 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512"';
let handled = 0;

@Controller('orders')
class OrdersController {
  @Get()
  @RequireScopes('orders:read')
  list(@Principal() who: TesseraPrincipal) {
    handled++;
    return { sub: who.sub, jkt: who.jkt ?? null };
  }

  @Post()
  @RequireScopes('orders:read')
  create(@Principal() who: TesseraPrincipal) {
    handled++;
    return { sub: who.sub, jkt: who.jkt ?? null };
  }
}

async function startGuarded(options: TesseraAuthOptions, fastify = false) {
  @Module({
    imports: [TesseraAuthModule.forRoot(options)],
    controllers: [OrdersController],
  })
  class GuardedModule {}
  const app = fastify
    ? await NestFactory.create(GuardedModule, new FastifyAdapter(), {
        logger: false,
        abortOnError: false,
      })
    : await NestFactory.create(GuardedModule, { logger: false, abortOnError: false });
  const port = await freePort();
  await app.listen(port, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${port}` };
}

/** A client's DPoP key: what signs its proofs, and the thumbprint its tokens are bound to. */
interface Holder {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

async function holder(): Promise<Holder> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

const athOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A DPoP proof (RFC 9449 §4.2) made with jose, for `htm` `htu` and `token` unless told otherwise. */
function proof(
  h: Holder,
  token: string,
  o: {
    htm?: string;
    htu: string;
    iat?: number;
    jti?: string;
    header?: Record<string, unknown>;
    claims?: Record<string, unknown>;
  },
) {
  return new SignJWT({
    htm: o.htm ?? 'GET',
    htu: o.htu,
    jti: o.jti ?? randomUUID(),
    ath: athOf(token),
    ...o.claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: h.jwk, ...o.header })
    .setIssuedAt(o.iat ?? Math.floor(Date.now() / 1000))
    .sign(h.privateKey);
}

describe('the guard accepts DPoP-bound tokens with their proof only (RFC 9449 §7)', () => {
  const issuer = new StubIssuer();
  let app: INestApplication;
  let url: string;
  let alice: Holder;
  let mallory: Holder;

  beforeAll(async () => {
    await issuer.start(['a']);
    ({ app, url } = await startGuarded({
      issuer: issuer.tenant('a').issuer,
      audience: AUDIENCE,
      mode: 'jwt',
    }));
    alice = await holder();
    mallory = await holder();
  });
  afterAll(async () => {
    await app?.close();
    await issuer.stop();
  });

  const bound = (h: Holder = alice) => issuer.token('a', AUDIENCE, {}, h.jkt);
  const call = (headers: Record<string, string>, method = 'GET', path = '/orders') =>
    send(`${url}${path}`, { method, headers });
  const dpop = (token: string, p: string, method = 'GET') =>
    call({ authorization: `DPoP ${token}`, dpop: p }, method);

  async function expectRefused(
    res: Awaited<ReturnType<typeof send>>,
    before: number,
    error: 'invalid_token' | 'invalid_dpop_proof',
  ) {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`DPoP error="${error}", ${ALGS}`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ error });
    expect(res.text).not.toMatch(/ERR_|jose|alg|signature|jkt|ath|htu|htm/i); // no detail
    expect(handled).toBe(before);
  }

  it('accepts a bound token with its proof; the principal carries the key thumbprint', async () => {
    const token = bound();
    const before = handled;
    const res = await dpop(token, await proof(alice, token, { htu: `${url}/orders` }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'user-1', jkt: alice.jkt });
    expect(handled).toBe(before + 1);
  });

  it('accepts a proof whose htu has the query of the request (it is ignored) and POST with htm POST', async () => {
    const token = bound();
    const q = await send(`${url}/orders?page=2`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(alice, token, { htu: `${url}/orders` }),
      },
    });
    expect(q.status).toBe(200);
    const p = await dpop(
      token,
      await proof(alice, token, { htm: 'POST', htu: `${url}/orders` }),
      'POST',
    );
    expect(p.status).toBe(201);
    expect(p.body.jkt).toBe(alice.jkt);
  });

  it('still accepts an unbound token as Bearer (both kinds by default)', async () => {
    const res = await call({ authorization: `Bearer ${issuer.token('a', AUDIENCE)}` });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'user-1', jkt: null });
  });

  it('answers a request without Authorization with a bare Bearer challenge and a DPoP one', async () => {
    const before = handled;
    const res = await call({});
    expect(res.status).toBe(401);
    // fetch joins the two WWW-Authenticate fields
    expect(res.headers.get('www-authenticate')).toBe(`Bearer, DPoP ${ALGS}`);
    expect(handled).toBe(before);
  });

  describe('refuses the proof (error="invalid_dpop_proof")', () => {
    it('a replayed proof: the same proof a second time', async () => {
      const token = bound();
      const p = await proof(alice, token, { htu: `${url}/orders` });
      expect((await dpop(token, p)).status).toBe(200);
      const before = handled;
      await expectRefused(await dpop(token, p), before, 'invalid_dpop_proof');
    });

    it('a proof whose jti was used before with the same key, even for another token', async () => {
      const jti = randomUUID();
      const first = bound();
      expect(
        (await dpop(first, await proof(alice, first, { htu: `${url}/orders`, jti }))).status,
      ).toBe(200);
      const second = bound();
      const before = handled;
      await expectRefused(
        await dpop(second, await proof(alice, second, { htu: `${url}/orders`, jti })),
        before,
        'invalid_dpop_proof',
      );
    });

    const cases: Array<[string, (token: string) => Promise<string>]> = [
      [
        'a proof of another key than the token’s cnf.jkt',
        (token) => proof(mallory, token, { htu: `${url}/orders` }),
      ],
      [
        'a proof made for another token (ath mismatch)',
        async () => {
          const other = bound();
          return proof(alice, other, { htu: `${url}/orders` });
        },
      ],
      [
        'a proof without ath',
        (token) => proof(alice, token, { htu: `${url}/orders`, claims: { ath: undefined } }),
      ],
      [
        'a proof for another method (htm POST on GET)',
        (token) => proof(alice, token, { htm: 'POST', htu: `${url}/orders` }),
      ],
      [
        'a proof with htm in lower case',
        (token) => proof(alice, token, { htm: 'get', htu: `${url}/orders` }),
      ],
      ['a proof for another path (htu)', (token) => proof(alice, token, { htu: `${url}/admin` })],
      [
        'a proof for another host (htu)',
        (token) => proof(alice, token, { htu: 'https://api.example.test/orders' }),
      ],
      [
        'a proof for another scheme (htu https)',
        (token) => proof(alice, token, { htu: url.replace('http:', 'https:') + '/orders' }),
      ],
      [
        'a stale proof (iat two minutes ago, window 60 s)',
        (token) =>
          proof(alice, token, { htu: `${url}/orders`, iat: Math.floor(Date.now() / 1000) - 120 }),
      ],
      [
        'a proof from the future (iat in two minutes)',
        (token) =>
          proof(alice, token, { htu: `${url}/orders`, iat: Math.floor(Date.now() / 1000) + 120 }),
      ],
      [
        'alg none',
        async (token) =>
          unsigned(
            { alg: 'none', typ: 'dpop+jwt', jwk: alice.jwk },
            {
              htm: 'GET',
              htu: `${url}/orders`,
              jti: randomUUID(),
              iat: Math.floor(Date.now() / 1000),
              ath: athOf(token),
            },
          ),
      ],
      [
        'HS256 keyed with the public jwk (key confusion)',
        async (token) =>
          hs256(
            { alg: 'HS256', typ: 'dpop+jwt', jwk: alice.jwk },
            {
              htm: 'GET',
              htu: `${url}/orders`,
              jti: randomUUID(),
              iat: Math.floor(Date.now() / 1000),
              ath: athOf(token),
            },
            JSON.stringify(alice.jwk),
          ),
      ],
      [
        'a private key in the jwk header',
        async (token) =>
          proof(alice, token, {
            htu: `${url}/orders`,
            header: { jwk: await exportJWK(alice.privateKey) },
          }),
      ],
      [
        'typ JWT instead of dpop+jwt',
        (token) => proof(alice, token, { htu: `${url}/orders`, header: { typ: 'JWT' } }),
      ],
      [
        'typ application/dpop+jwt',
        (token) =>
          proof(alice, token, { htu: `${url}/orders`, header: { typ: 'application/dpop+jwt' } }),
      ],
      [
        'a proof without jti',
        (token) => proof(alice, token, { htu: `${url}/orders`, claims: { jti: undefined } }),
      ],
      [
        'a tampered proof (htu changed after signing)',
        async (token) => {
          const [h, p, s] = (await proof(alice, token, { htu: `${url}/other` })).split('.');
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
          const forged = Buffer.from(JSON.stringify({ ...claims, htu: `${url}/orders` })).toString(
            'base64url',
          );
          return `${h}.${forged}.${s}`;
        },
      ],
      ['garbage', async () => 'not.a.proof'],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const token = bound();
      const p = await make(token);
      const before = handled;
      await expectRefused(await dpop(token, p), before, 'invalid_dpop_proof');
    });

    it('a DPoP token without any proof header', async () => {
      const before = handled;
      await expectRefused(
        await call({ authorization: `DPoP ${bound()}` }),
        before,
        'invalid_dpop_proof',
      );
    });

    it('two DPoP headers, even when each is a valid proof', async () => {
      const token = bound();
      const p1 = await proof(alice, token, { htu: `${url}/orders` });
      const p2 = await proof(alice, token, { htu: `${url}/orders` });
      const before = handled;
      const res = await new Promise<{ status: number; challenge: unknown; body: string }>(
        (resolve, reject) => {
          const req = request(
            `${url}/orders`,
            // a flat [name, value, …] list sends the header twice (and no Host unless named)
            {
              headers: [
                'host',
                new URL(url).host,
                'authorization',
                `DPoP ${token}`,
                'dpop',
                p1,
                'dpop',
                p2,
              ],
            },
            (r) => {
              let body = '';
              r.on('data', (c: Buffer) => (body += c.toString()));
              r.on('end', () =>
                resolve({
                  status: r.statusCode ?? 0,
                  challenge: r.headers['www-authenticate'],
                  body,
                }),
              );
            },
          );
          req.on('error', reject);
          req.end();
        },
      );
      expect(res.status).toBe(401);
      expect(res.challenge).toBe(`DPoP error="invalid_dpop_proof", ${ALGS}`);
      expect(JSON.parse(res.body)).toEqual({ error: 'invalid_dpop_proof' });
      expect(handled).toBe(before);
      // neither proof was spent: the first one still works
      expect((await dpop(token, p1)).status).toBe(200);
    });
  });

  describe('refuses the token (error="invalid_token")', () => {
    it('a bound token sent as Bearer (RFC 9449 §7.2), with or without a proof', async () => {
      const token = bound();
      let before = handled;
      await expectRefused(
        await call({ authorization: `Bearer ${token}` }),
        before,
        'invalid_token',
      );
      before = handled;
      await expectRefused(
        await call({
          authorization: `Bearer ${token}`,
          dpop: await proof(alice, token, { htu: `${url}/orders` }),
        }),
        before,
        'invalid_token',
      );
    });

    it('an unbound token sent as DPoP, with a valid proof', async () => {
      const token = issuer.token('a', AUDIENCE);
      const before = handled;
      await expectRefused(
        await dpop(token, await proof(alice, token, { htu: `${url}/orders` })),
        before,
        'invalid_token',
      );
    });

    it('a bound token that is itself invalid (another audience), with a valid proof', async () => {
      const token = issuer.token('a', 'https://other.example.test', {}, alice.jkt);
      const before = handled;
      await expectRefused(
        await dpop(token, await proof(alice, token, { htu: `${url}/orders` })),
        before,
        'invalid_token',
      );
    });

    it('a bound token lacking the scope: 403 insufficient_scope in the DPoP scheme', async () => {
      const token = issuer.token('a', AUDIENCE, { scope: 'other' }, alice.jkt);
      const before = handled;
      const res = await dpop(token, await proof(alice, token, { htu: `${url}/orders` }));
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toBe(
        `DPoP error="insufficient_scope", scope="orders:read", ${ALGS}`,
      );
      expect(handled).toBe(before);
    });
  });

  it('accepts a proof made by a certified client library (openid-client getDPoPHandle)', async () => {
    const config = await oidc.discovery(
      new URL(issuer.tenant('a').issuer),
      'web',
      undefined,
      undefined,
      { execute: [oidc.allowInsecureRequests] },
    );
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    const token = issuer.token('a', AUDIENCE, {}, jkt);
    const DPoP = oidc.getDPoPHandle(config, keyPair);
    const before = handled;
    const res = await oidc.fetchProtectedResource(
      config,
      token,
      new URL(`${url}/orders`),
      'GET',
      undefined,
      undefined,
      { DPoP },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'user-1', jkt });
    expect(handled).toBe(before + 1);
    // the same library with another key is refused: the binding, not the library, decides
    const other = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    await expect(
      oidc.fetchProtectedResource(
        config,
        token,
        new URL(`${url}/orders`),
        'GET',
        undefined,
        undefined,
        { DPoP: other },
      ),
    ).rejects.toMatchObject({
      status: 401,
      cause: [{ scheme: 'dpop', parameters: { error: 'invalid_dpop_proof' } }],
    });

    expect(handled).toBe(before + 1);
  });
});

describe('the guard with requireDpop, publicUrl and in introspection mode', () => {
  const issuer = new StubIssuer();
  let alice: Holder;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    await issuer.start(['a']);
    alice = await holder();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await issuer.stop();
  });
  const start = async (o: Partial<TesseraAuthOptions>, fastify = false) => {
    const s = await startGuarded(
      { issuer: issuer.tenant('a').issuer, audience: AUDIENCE, ...o },
      fastify,
    );
    apps.push(s.app);
    return s.url;
  };

  it('on Nest’s Fastify adapter: serves a DPoP call, refuses its replay and a proof for another URL', async () => {
    const url = await start({ mode: 'jwt' }, true);
    const token = issuer.token('a', AUDIENCE, {}, alice.jkt);
    const headers = {
      authorization: `DPoP ${token}`,
      dpop: await proof(alice, token, { htu: `${url}/orders` }),
    };
    const ok = await send(`${url}/orders?x=1`, { headers });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ sub: 'user-1', jkt: alice.jkt });
    const before = handled;
    const replayed = await send(`${url}/orders`, { headers });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toBe(
      `DPoP error="invalid_dpop_proof", ${ALGS}`,
    );
    const elsewhere = await send(`${url}/orders`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(alice, token, { htu: `${url}/other` }),
      },
    });
    expect(elsewhere.status).toBe(401);
    const none = await send(`${url}/orders`);
    expect(none.headers.get('www-authenticate')).toBe(`Bearer, DPoP ${ALGS}`);
    expect(handled).toBe(before);
  });

  it('requireDpop: refuses Bearer tokens, challenges with DPoP only, accepts DPoP', async () => {
    const url = await start({ mode: 'jwt', requireDpop: true });
    const before = handled;
    const none = await send(`${url}/orders`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe(`DPoP ${ALGS}`);
    const bearer = await send(`${url}/orders`, {
      headers: { authorization: `Bearer ${issuer.token('a', AUDIENCE)}` },
    });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toBe(`DPoP error="invalid_token", ${ALGS}`);
    expect(handled).toBe(before);
    const token = issuer.token('a', AUDIENCE, {}, alice.jkt);
    const ok = await send(`${url}/orders`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(alice, token, { htu: `${url}/orders` }),
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.jkt).toBe(alice.jkt);
  });

  it('publicUrl: htu must name the service as reached through the proxy, not the Host it sees', async () => {
    const publicUrl = 'https://api.example.test/orders-svc';
    const url = await start({ mode: 'jwt', publicUrl });
    const token = issuer.token('a', AUDIENCE, {}, alice.jkt);
    const ok = await send(`${url}/orders`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(alice, token, { htu: `${publicUrl}/orders` }),
      },
    });
    expect(ok.status).toBe(200);
    const before = handled;
    const direct = await send(`${url}/orders`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(alice, token, { htu: `${url}/orders` }),
      },
    });
    expect(direct.status).toBe(401);
    expect(direct.headers.get('www-authenticate')).toBe(`DPoP error="invalid_dpop_proof", ${ALGS}`);
    expect(handled).toBe(before);
  });

  it('introspection mode: cnf comes from the introspection answer', async () => {
    const url = await start({ mode: 'introspection', clientId: 'rs', clientSecret: 'secret' });
    const token = issuer.token('a', AUDIENCE, {}, alice.jkt);
    const ok = await send(`${url}/orders`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(alice, token, { htu: `${url}/orders` }),
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ sub: 'user-1', jkt: alice.jkt });
    expect(issuer.fetches.filter((f) => f.endsWith('/introspect'))).toHaveLength(1);
    const before = handled;
    const asBearer = await send(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toBe(`DPoP error="invalid_token", ${ALGS}`);
    const otherKey = await send(`${url}/orders`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(await holder(), token, { htu: `${url}/orders` }),
      },
    });
    expect(otherKey.status).toBe(401);
    expect(otherKey.headers.get('www-authenticate')).toBe(
      `DPoP error="invalid_dpop_proof", ${ALGS}`,
    );
    const unbound = issuer.token('a', AUDIENCE);
    const unboundAsDpop = await send(`${url}/orders`, {
      headers: {
        authorization: `DPoP ${unbound}`,
        dpop: await proof(alice, unbound, { htu: `${url}/orders` }),
      },
    });
    expect(unboundAsDpop.status).toBe(401);
    expect(unboundAsDpop.headers.get('www-authenticate')).toBe(
      `DPoP error="invalid_token", ${ALGS}`,
    );
    expect(handled).toBe(before);
  });
});
