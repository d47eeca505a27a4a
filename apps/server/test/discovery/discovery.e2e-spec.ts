import { send, useTestServer } from '../support/harness';

describe('discovery and health', () => {
  const t = useTestServer();

  it('serves OpenID and RFC 8414 metadata per tenant, listing only what is implemented', async () => {
    const { slug } = await t.given.tenant();
    const oidc = await send(`${t.url}/t/${slug}/.well-known/openid-configuration`);
    const rfc8414 = await send(`${t.url}/.well-known/oauth-authorization-server/t/${slug}`);
    expect(oidc.status).toBe(200);
    expect(rfc8414.body).toEqual(oidc.body);
    const issuer = `${t.url}/t/${slug}`;
    expect(oidc.body.issuer).toBe(issuer);
    expect(oidc.body.token_endpoint).toBe(`${issuer}/token`);
    expect(oidc.body.jwks_uri).toBe(`${issuer}/jwks.json`);
    expect(oidc.body.grant_types_supported).toEqual([
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    expect(oidc.body.code_challenge_methods_supported).toEqual(['S256']);
    expect(oidc.body.authorization_response_iss_parameter_supported).toBe(true);
    expect(oidc.body.authorization_endpoint).toBe(`${issuer}/authorize`);
    expect(oidc.body.token_endpoint_auth_methods_supported).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'none',
    ]);
    // every advertised endpoint answers
    expect((await send(oidc.body.jwks_uri)).status).toBe(200);
    expect((await send(oidc.body.token_endpoint, { method: 'POST' })).status).toBe(400);
    for (const value of Object.values(oidc.body))
      if (typeof value === 'string' && value.startsWith('http'))
        expect(value.startsWith(t.url)).toBe(true);
  });

  it('answers 404 in the OAuth error shape for an unknown tenant', async () => {
    for (const path of [
      '/t/no-such-tenant/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/t/no-such-tenant',
      '/t/no-such-tenant/jwks.json',
    ]) {
      const res = await send(`${t.url}${path}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Unknown issuer' });
    }
  });

  it('reports health and readiness', async () => {
    expect((await send(`${t.url}/healthz`)).body).toEqual({ status: 'ok' });
    const ready = await send(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('answers an unknown route with a JSON 404, not an HTML page', async () => {
    const res = await send(`${t.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});
