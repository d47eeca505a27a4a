// The peer: oidc-provider 9 in one Node process, configured like the benchmark's Tessera tenant
// (refresh-token rotation, introspection, JWT access tokens for the orders resource server via
// resource indicators, client_credentials, ES256), on its own database of the same PostgreSQL.
// PORT, DATABASE_URL. GET /healthz; POST /bench/seed?n=N creates N signed-in grants through the
// provider's own models (what the authorization flow would leave behind) and answers their refresh
// tokens and opaque access tokens.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { createPool, postgresAdapter, SCHEMA } from './adapter.mjs';
import { PEER } from './clients.mjs';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const pool = createPool(process.env.DATABASE_URL, Number(process.env.DATABASE_POOL_MAX ?? 20));
await pool.query(SCHEMA);

const RESOURCE = 'https://orders.bench.test';
const SCOPES = 'orders:read orders:write';
const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  adapter: postgresAdapter(pool),
  clients: [
    {
      client_id: PEER.web.clientId,
      client_secret: PEER.web.secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:9/cb'],
      scope: `openid offline_access ${SCOPES}`,
    },
    {
      client_id: PEER.cc.clientId,
      client_secret: PEER.cc.secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'orders:read',
    },
    {
      client_id: PEER.rs.clientId,
      client_secret: PEER.rs.secret,
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: [{ ...jwk, kid: 'peer-1', alg: 'ES256', use: 'sig' }] },
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  scopes: ['openid', 'offline_access', 'orders:read', 'orders:write'],
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 600,
    ClientCredentials: 600,
    RefreshToken: 14 * 86400,
    Grant: 30 * 86400,
    IdToken: 600,
    AuthorizationCode: 60,
    Session: 30 * 86400,
    Interaction: 600,
  },
  features: {
    devInteractions: { enabled: false },
    introspection: {
      enabled: true,
      // the resource server, or a client asking about its own tokens
      allowedPolicy: (_ctx, client, token) =>
        client.clientId === PEER.rs.clientId || client.clientId === token.clientId,
    },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: SCOPES,
        audience: RESOURCE,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

/** What a sign-in with offline access leaves in the store: a Grant, a RefreshToken, an opaque AccessToken. */
async function seedOne(i) {
  const client = await provider.Client.find(PEER.web.clientId);
  const accountId = `peer-user-${i}-${Math.random().toString(36).slice(2)}`;
  const grant = new provider.Grant({ accountId, clientId: client.clientId });
  grant.addOIDCScope('offline_access');
  grant.addResourceScope(RESOURCE, 'orders:read');
  const grantId = await grant.save();
  const common = { accountId, client, grantId, gty: 'authorization_code' };
  const refresh = new provider.RefreshToken({
    ...common,
    scope: 'offline_access orders:read',
    resource: RESOURCE,
    authTime: Math.floor(Date.now() / 1000),
    expiresWithSession: false,
  });
  const access = new provider.AccessToken({ ...common, scope: 'orders:read' });
  return { refresh_token: await refresh.save(), access_token: await access.save() };
}

const callback = provider.callback();
createServer(async (req, res) => {
  if (req.url === '/healthz') return res.writeHead(200).end('ok');
  if (req.method === 'POST' && req.url.startsWith('/bench/seed')) {
    try {
      const n = Number(new URL(req.url, issuer).searchParams.get('n') ?? 1);
      const out = [];
      for (let i = 0; i < n; i++) out.push(await seedOne(i));
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    } catch (err) {
      return res.writeHead(500).end(String(err?.stack ?? err));
    }
  }
  return callback(req, res);
}).listen(port, '127.0.0.1', () => console.log(`peer listening on ${issuer}`));
