import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TesseraExchange, TokenExchangeError, type TesseraPrincipal } from '@tessera/nest-guards';

/**
 * A token endpoint stand-in on a real socket: discovery, and a token endpoint that records each
 * request and answers what the test sets. The server side of the exchange is tested against
 * Tessera itself (apps/server/test/tokens/token-exchange, apps/example-orders/test/exchange).
 */
async function startIssuer() {
  const requests: Array<{ authorization?: string; form: URLSearchParams }> = [];
  let answer: (form: URLSearchParams) => { status: number; body: unknown } = (form) => ({
    status: 200,
    body: {
      access_token: `exchanged-${requests.length}-${form.get('resource')}`,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 300,
      scope: form.get('scope') ?? 'a',
    },
  });
  let issuer = '';
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let s = '';
      req.on('data', (c: Buffer) => (s += c.toString()));
      req.on('end', () => resolve(s));
    });
  const server: Server = createServer((req, res) => {
    void (async () => {
      let status = 404;
      let body: unknown = { error: 'not_found' };
      if (req.url === '/t/acme/.well-known/openid-configuration') {
        status = 200;
        body = { issuer, token_endpoint: `${issuer}/token` };
      } else if (req.url === '/t/acme/token' && req.method === 'POST') {
        const form = new URLSearchParams(await read(req));
        requests.push({ authorization: req.headers.authorization, form });
        ({ status, body } = answer(form));
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/t/acme`;
  return {
    issuer,
    server,
    requests,
    answerWith: (f: typeof answer) => (answer = f),
  };
}

const principal = (token: string): TesseraPrincipal =>
  Object.defineProperty({ sub: 'user-1', clientId: 'web', scopes: ['a'], claims: {} }, 'token', {
    value: token,
    enumerable: false,
  });

describe('TesseraExchange', () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let exchange: TesseraExchange;
  beforeEach(async () => {
    issuer = await startIssuer();
    exchange = new TesseraExchange({
      issuer: issuer.issuer,
      audience: 'https://orders.example.test',
      clientId: 'orders svc',
      clientSecret: 's3cret:+/',
    });
  });
  afterEach(() => new Promise((r) => issuer.server.close(r)));

  it('posts the principal’s token as subject_token, authenticated with the module’s credentials', async () => {
    const got = await exchange.exchange(principal('user-token'), {
      resource: 'https://inventory.example.test',
      scope: ['a', 'b'],
    });
    expect(got.accessToken).toBe('exchanged-1-https://inventory.example.test');
    expect(got.scope).toBe('a b');
    expect(got.expiresAt).toBeGreaterThan(Date.now() / 1000 + 290);
    const [r] = issuer.requests;
    expect(Object.fromEntries(r.form)).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'user-token',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      resource: 'https://inventory.example.test',
      scope: 'a b',
    });
    // RFC 6749 §2.3.1: each half form-encoded, then Basic
    expect(r.authorization).toBe(
      `Basic ${Buffer.from('orders%20svc:s3cret%3A%2B%2F').toString('base64')}`,
    );
  });

  it('reuses an answer per (token, resource, scope), and shares one request between concurrent calls', async () => {
    const p = principal('user-token');
    const to = { resource: 'https://inventory.example.test' };
    const [a, b] = await Promise.all([exchange.exchange(p, to), exchange.exchange(p, to)]);
    expect(a).toBe(b);
    await exchange.exchange(p, to);
    expect(issuer.requests).toHaveLength(1);
    await exchange.exchange(p, { ...to, scope: 'a' });
    await exchange.exchange(principal('another-user-token'), to);
    await exchange.exchange(p, { resource: 'https://billing.example.test' });
    expect(issuer.requests).toHaveLength(4);
  });

  it('asks again once the cached token is within its margin of expiry', async () => {
    issuer.answerWith(() => ({ status: 200, body: { access_token: 'short', expires_in: 1 } }));
    const p = principal('user-token');
    await exchange.exchange(p, { resource: 'https://inventory.example.test' });
    await new Promise((r) => setTimeout(r, 600));
    await exchange.exchange(p, { resource: 'https://inventory.example.test' });
    expect(issuer.requests).toHaveLength(2);
  });

  it('keeps at most 1000 answers, the oldest out first', async () => {
    for (let i = 0; i < 1001; i++)
      await exchange.exchange(principal(`token-${i}`), {
        resource: 'https://inventory.example.test',
      });
    await exchange.exchange(principal('token-1000'), {
      resource: 'https://inventory.example.test',
    });
    expect(issuer.requests).toHaveLength(1001); // the newest is still there
    await exchange.exchange(principal('token-0'), { resource: 'https://inventory.example.test' });
    expect(issuer.requests).toHaveLength(1002); // the oldest was evicted
  });

  it('throws TokenExchangeError with the RFC code on a refusal, and does not cache it', async () => {
    issuer.answerWith(() => ({
      status: 400,
      body: { error: 'invalid_target', error_description: 'no' },
    }));
    const p = principal('user-token');
    const err = await exchange
      .exchange(p, { resource: 'https://nowhere.example.test' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenExchangeError);
    expect(err).toMatchObject({ error: 'invalid_target', status: 400 });
    // the message never carries the token
    expect(String((err as Error).message)).not.toContain('user-token');
    await exchange.exchange(p, { resource: 'https://nowhere.example.test' }).catch(() => undefined);
    expect(issuer.requests).toHaveLength(2);
  });

  it('sends its own client_credentials token as actor_token when asked', async () => {
    issuer.answerWith((form) => ({
      status: 200,
      body: {
        access_token: form.get('grant_type') === 'client_credentials' ? 'own-token' : 'exchanged',
        expires_in: 300,
      },
    }));
    const p = principal('user-token');
    await exchange.exchange(p, { resource: 'https://inventory.example.test', actor: true });
    await exchange.exchange(p, { resource: 'https://billing.example.test', actor: true });
    const grants = issuer.requests.map((r) => r.form.get('grant_type'));
    // one client_credentials token, reused as the actor of both exchanges
    expect(grants.filter((g) => g === 'client_credentials')).toHaveLength(1);
    const exchanges = issuer.requests.filter((r) => r.form.get('subject_token'));
    expect(exchanges.map((r) => r.form.get('actor_token'))).toEqual(['own-token', 'own-token']);
    expect(exchanges[0].form.get('actor_token_type')).toBe(
      'urn:ietf:params:oauth:token-type:access_token',
    );
  });

  it('refuses a principal without a token, and keeps the token out of a serialised principal', () => {
    expect(() =>
      exchange.exchange({ sub: 'u', clientId: 'c', scopes: [], claims: {} }, { resource: 'x' }),
    ).toThrow('carries no token');
    expect(JSON.stringify(principal('user-token'))).not.toContain('user-token');
    expect(principal('user-token').token).toBe('user-token');
  });
});
