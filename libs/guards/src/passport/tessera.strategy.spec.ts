import 'reflect-metadata';
import { Controller, Get, Module, Req, UseGuards, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TesseraAuthModule, type TesseraPrincipal } from '@tessera/nest-guards';
import { TesseraStrategy } from '@tessera/nest-guards/passport';

const AUDIENCE = 'https://orders.example.test';

/**
 * An issuer stand-in on a real socket: discovery and a JWKS with one ES256 key, the two documents
 * the verifier reads. Tokens are signed with that key exactly as Tessera signs access tokens.
 */
async function startIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const body =
      req.url === '/t/acme/.well-known/openid-configuration'
        ? { issuer, jwks_uri: `${issuer}/jwks.json` }
        : req.url === '/t/acme/jwks.json'
          ? { keys: [jwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not_found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/t/acme`;
  return { issuer, privateKey, server };
}

const mint = (
  key: CryptoKey,
  iss: string,
  claims: Record<string, unknown> = {},
): Promise<string> => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss,
    aud: AUDIENCE,
    sub: 'user-1',
    client_id: 'orders-ui',
    scope: 'orders:read',
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .sign(key);
};

describe('TesseraStrategy (passport) against a JWKS served over HTTP', () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let app: INestApplication;
  let url: string;
  const seen: TesseraPrincipal[] = [];

  beforeAll(async () => {
    issuer = await startIssuer();

    @Controller('orders')
    class OrdersController {
      @Get()
      @UseGuards(AuthGuard('tessera'))
      list(@Req() req: { user: TesseraPrincipal }) {
        seen.push(req.user);
        return { sub: req.user.sub, clientId: req.user.clientId, scopes: req.user.scopes };
      }
    }

    @Module({
      imports: [
        TesseraAuthModule.forRoot({
          issuer: issuer.issuer,
          audience: AUDIENCE,
          mode: 'jwt',
          global: false,
        }),
      ],
      controllers: [OrdersController],
      providers: [TesseraStrategy],
    })
    class AppModule {}

    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}/orders`;
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => issuer?.server.close(resolve));
  });

  const get = (authorization?: string) =>
    fetch(url, { headers: authorization ? { authorization } : {} });

  it('puts the verified principal on req.user for a token signed by a published key', async () => {
    const res = await get(`Bearer ${await mint(issuer.privateKey, issuer.issuer)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sub: 'user-1',
      clientId: 'orders-ui',
      scopes: ['orders:read'],
    });
    expect(seen.at(-1)?.claims).toMatchObject({ iss: issuer.issuer, aud: AUDIENCE });
  });

  it('refuses a request without a token, or with one it cannot trust, before the handler runs', async () => {
    const before = seen.length;
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const refused = [
      await get(),
      await get('Basic dXNlcjpwYXNz'),
      // the published kid, but another key's signature
      await get(`Bearer ${await mint(stranger, issuer.issuer)}`),
      // a real signature for another resource server
      await get(
        `Bearer ${await mint(issuer.privateKey, issuer.issuer, { aud: 'https://other.example.test' })}`,
      ),
      // a real signature under another issuer's name
      await get(`Bearer ${await mint(issuer.privateKey, 'https://elsewhere.example.test/t/acme')}`),
      // expired well beyond the clock tolerance
      await get(
        `Bearer ${await mint(issuer.privateKey, issuer.issuer, {
          iat: Math.floor(Date.now() / 1000) - 7200,
          exp: Math.floor(Date.now() / 1000) - 3600,
        })}`,
      ),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(seen).toHaveLength(before);
  });
});
