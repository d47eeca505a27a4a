import * as oidc from 'openid-client';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { claims, eventually, signIn, useTestServer, type TestServer } from '../support/harness';
import { basic, form, send } from '../support/http';

// RFC 8693 token exchange between internal services, driven by the certified client openid-client.
// Every refusal is checked for its invariant: no token in the answer AND an audit row of the refusal.

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const cb = 'https://app.example.test/cb';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const es256 = () =>
  generateKeyPair('ES256', { extractable: true }) as Promise<{
    publicKey: CryptoKey;
    privateKey: CryptoKey;
  }>;
const thumbprint = async (k: { publicKey: CryptoKey }) =>
  calculateJwkThumbprint(await exportJWK(k.publicKey));

interface Client {
  clientId: string;
  secret: string;
}

async function configFor(t: TestServer, slug: string, c: Client): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(t.issuer(slug)), c.clientId, c.secret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** A tenant with an orders API, an inventory and a billing API, a front end, a user and services. */
async function world(t: TestServer, frontPolicy: Record<string, unknown> = {}) {
  const { slug } = await t.given.tenant();
  const scopes = (...names: string[]) => names.map((name) => ({ name, description: '' }));
  const orders = await t.given.resourceServer(slug, {
    scopes: scopes('orders:read', 'orders:write', 'profile:read'),
  });
  // the inventory defines orders:read too: the one scope a user's orders token carries over there
  const inventory = await t.given.resourceServer(slug, {
    scopes: scopes('orders:read', 'inventory:read'),
  });
  const billing = await t.given.resourceServer(slug, { scopes: scopes('orders:read') });
  const front = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [cb],
    policy: frontPolicy,
    grants: [
      {
        resourceServer: orders.identifier,
        scopes: ['orders:read', 'orders:write', 'profile:read'],
        flows: ['user'],
      },
    ],
  });
  // the user holds orders:read at the inventory and billing too: an exchange carries only what the
  // user holds at the target (never inventory:read here)
  const user = await t.given.user(slug, {
    permissions: [
      {
        resourceServer: orders.identifier,
        scopes: ['orders:read', 'orders:write', 'profile:read'],
      },
      { resourceServer: inventory.identifier, scopes: ['orders:read'] },
      { resourceServer: billing.identifier, scopes: ['orders:read'] },
    ],
  });
  /** The orders service: calls the inventory on the user's behalf. */
  const ordersSvc = await t.given.app(slug, {
    grantTypes: [TOKEN_EXCHANGE, 'client_credentials'],
    grants: [
      { resourceServer: orders.identifier, scopes: ['orders:read'], flows: ['client_credentials'] },
    ],
    tokenExchange: {
      targets: [
        { resourceServer: inventory.identifier, scopes: ['orders:read', 'inventory:read'] },
      ],
      maxDepth: 1,
    },
  });
  /** The inventory service: calls billing for whoever called it (a chain of two allowed). */
  const inventorySvc = await t.given.app(slug, {
    grantTypes: [TOKEN_EXCHANGE],
    tokenExchange: {
      targets: [{ resourceServer: billing.identifier, scopes: ['orders:read'] }],
      maxDepth: 2,
    },
  });
  const signedIn = () =>
    signIn(t, slug, {
      app: front,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'orders:read orders:write profile:read',
    });
  return { slug, orders, inventory, billing, front, user, ordersSvc, inventorySvc, signedIn };
}

describe('token exchange (RFC 8693)', () => {
  const t = useTestServer();

  const audited = async (slug: string, clientId: string, type: string) =>
    t.sql<{ detail: Record<string, unknown>; user_id: string | null; session_id: string | null }>(
      `SELECT e.detail, e.user_id, e.session_id FROM audit_events e JOIN tenants t ON t.id = e.tenant_id
       WHERE t.slug = $1 AND e.client_id = $2 AND e.type = $3 ORDER BY e.created_at`,
      [slug, clientId, type],
    );

  /** The exchange is refused with `error`, no token is in the answer, and the refusal is audited. */
  async function refused(
    slug: string,
    client: Client,
    params: Record<string, string>,
    error: string,
  ): Promise<Record<string, unknown>> {
    const before = (await audited(slug, client.clientId, 'token_exchange_refused')).length;
    const config = await configFor(t, slug, client);
    const err = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE, params).then(
      () => undefined,
      (e: unknown) => e as oidc.ResponseBodyError,
    );
    expect(err).toBeInstanceOf(oidc.ResponseBodyError);
    expect(err!.error).toBe(error);
    expect(err!.cause).not.toHaveProperty('access_token');
    // the answer is the spec's two fields, and an invalid_grant always reads the same: it never
    // says which check refused the token (expired, revoked, another tenant's, a foreign actor)
    expect(Object.keys(err!.cause as object).sort()).toEqual(['error', 'error_description']);
    if (error === 'invalid_grant')
      expect(err!.error_description).toBe('The grant is invalid or expired');
    expect(JSON.stringify(err!.cause)).not.toMatch(/eyJ/);
    const rows = await audited(slug, client.clientId, 'token_exchange_refused');
    expect(rows).toHaveLength(before + 1);
    expect(rows[rows.length - 1].detail.error).toBe(error);
    expect(JSON.stringify(rows[rows.length - 1].detail)).not.toMatch(/eyJ/);
    return rows[rows.length - 1].detail;
  }

  it('gives the orders service a token to the inventory for the user: sub, act, sid, aud, fewer scopes', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    const subject = claims(s.access_token);
    const actor = await t.token(
      w.slug,
      { grant_type: 'client_credentials', resource: w.orders.identifier },
      w.ordersSvc,
    );
    expect(actor.status).toBe(200);

    const res = await oidc.genericGrantRequest(
      await configFor(t, w.slug, w.ordersSvc),
      TOKEN_EXCHANGE,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        actor_token: actor.body.access_token,
        actor_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
    );
    expect(res.issued_token_type).toBe(ACCESS_TOKEN);
    expect(res.token_type).toBe('bearer'); // openid-client lower-cases it
    expect(res.refresh_token).toBeUndefined();
    const c = claims(res.access_token);
    expect(c.sub).toBe(w.user.id);
    expect(c.client_id).toBe(w.ordersSvc.clientId);
    expect(c.aud).toBe(w.inventory.identifier);
    expect(c.act).toEqual({ sub: w.ordersSvc.clientId });
    expect(c.sid).toBe(subject.sid);
    expect(c.family_id).toBe(subject.family_id);
    // orders:write and profile:read are not defined by the inventory; inventory:read is not the user's
    expect(c.scope).toBe('orders:read');
    expect(res.scope).toBe('orders:read');
    expect(c.exp).toBeLessThanOrEqual(subject.exp);

    const [row] = await audited(w.slug, w.ordersSvc.clientId, 'token_exchanged');
    expect(row.user_id).toBe(w.user.id);
    expect(row.session_id).toBe(subject.sid);
    expect(row.detail).toMatchObject({
      resource: w.inventory.identifier,
      scope: 'orders:read',
      depth: 1,
      jti: c.jti,
    });
  });

  it('names the target with audience too, and narrows to the scope requested', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    const res = await oidc.genericGrantRequest(
      await configFor(t, w.slug, w.ordersSvc),
      TOKEN_EXCHANGE,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        audience: w.inventory.identifier,
        scope: 'orders:read',
        requested_token_type: ACCESS_TOKEN,
      },
    );
    expect(claims(res.access_token)).toMatchObject({
      aud: w.inventory.identifier,
      scope: 'orders:read',
    });
  });

  it('chains two exchanges: act nests the earlier actor, sid and family carry through', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    const first = await oidc.genericGrantRequest(
      await configFor(t, w.slug, w.ordersSvc),
      TOKEN_EXCHANGE,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
    );
    const second = await oidc.genericGrantRequest(
      await configFor(t, w.slug, w.inventorySvc),
      TOKEN_EXCHANGE,
      {
        subject_token: first.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.billing.identifier,
        scope: 'orders:read',
      },
    );
    const c = claims(second.access_token);
    expect(c.sub).toBe(w.user.id);
    expect(c.aud).toBe(w.billing.identifier);
    expect(c.act).toEqual({ sub: w.inventorySvc.clientId, act: { sub: w.ordersSvc.clientId } });
    expect(c.sid).toBe(s.sid);
    expect(c.family_id).toBe(claims(s.access_token).family_id);
    expect(c.exp).toBeLessThanOrEqual(claims(first.access_token).exp);
  });

  it('refuses a target the policy does not name (invalid_target)', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    const detail = await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.billing.identifier,
      },
      'invalid_target',
    );
    expect(detail.reason).toBe('target not permitted');
  });

  it('refuses a scope beyond the subject token’s (invalid_scope)', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    // inventory:read is allowed by the policy and defined at the target, but the user's token lacks it
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
        scope: 'orders:read inventory:read',
      },
      'invalid_scope',
    );
  });

  it('refuses a scope beyond the policy at the same audience (invalid_scope); without scope, the policy’s share', async () => {
    const w = await world(t);
    const narrow = await t.given.app(w.slug, {
      grantTypes: [TOKEN_EXCHANGE],
      tokenExchange: {
        targets: [{ resourceServer: w.orders.identifier, scopes: ['orders:read'] }],
      },
    });
    const s = await w.signedIn();
    // same audience: plain intersection; orders:write is the user's but not the policy's
    await refused(
      w.slug,
      narrow,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.orders.identifier,
        scope: 'orders:write',
      },
      'invalid_scope',
    );
    const ok = await oidc.genericGrantRequest(await configFor(t, w.slug, narrow), TOKEN_EXCHANGE, {
      subject_token: s.access_token,
      subject_token_type: ACCESS_TOKEN,
      resource: w.orders.identifier,
    });
    expect(claims(ok.access_token).scope).toBe('orders:read');
  });

  it('carries a scope only where the user holds it: admin at one API is not admin at another (invalid_scope)', async () => {
    const { slug } = await t.given.tenant();
    const admin = [{ name: 'admin', description: '' }];
    const a = await t.given.resourceServer(slug, { scopes: admin });
    const b = await t.given.resourceServer(slug, { scopes: admin });
    const front = await t.given.app(slug, {
      grantTypes: ['authorization_code'],
      redirectUris: [cb],
      grants: [{ resourceServer: a.identifier, scopes: ['admin'], flows: ['user'] }],
    });
    const user = await t.given.user(slug, {
      permissions: [{ resourceServer: a.identifier, scopes: ['admin'] }],
    });
    // a service allowed `admin` at B: the policy says what the service may carry, not what the user holds
    const svc = await t.given.app(slug, {
      grantTypes: [TOKEN_EXCHANGE],
      tokenExchange: { targets: [{ resourceServer: b.identifier, scopes: ['admin'] }] },
    });
    const s = await signIn(t, slug, {
      app: front,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'admin',
    });
    expect(claims(s.access_token)).toMatchObject({ aud: a.identifier, scope: 'admin' });
    const base = {
      subject_token: s.access_token,
      subject_token_type: ACCESS_TOKEN,
      resource: b.identifier,
    };
    const detail = await refused(slug, svc, { ...base, scope: 'admin' }, 'invalid_scope');
    expect(detail.reason).toBe('scope the user does not hold at the target');
    expect(detail.resource).toBe(b.identifier);
    // without scope: nothing carries over either
    await refused(slug, svc, base, 'invalid_scope');
    expect(await audited(slug, svc.clientId, 'token_exchanged')).toHaveLength(0);

    // once the user holds `admin` at B, the same token is exchanged
    const put = await t.json(
      'PUT',
      `/admin/api/tenants/${slug}/users/${user.id}/permissions`,
      [
        { resourceServer: a.identifier, scopes: ['admin'] },
        { resourceServer: b.identifier, scopes: ['admin'] },
      ],
      await t.adminToken(),
    );
    expect(put.status).toBe(200);
    const ok = await oidc.genericGrantRequest(await configFor(t, slug, svc), TOKEN_EXCHANGE, {
      ...base,
      scope: 'admin',
    });
    expect(claims(ok.access_token)).toMatchObject({
      sub: user.id,
      aud: b.identifier,
      scope: 'admin',
    });
  });

  it('needs the caller’s DPoP proof for a bound subject token, and binds the issued token to the caller’s key', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    // the front end binds the user's token to its key (RFC 9449): the subject token carries cnf.jkt
    const frontConfig = await configFor(t, w.slug, w.front);
    const frontKeys = await es256();
    const bound = await oidc.refreshTokenGrant(frontConfig, s.refresh_token, undefined, {
      DPoP: oidc.getDPoPHandle(frontConfig, frontKeys),
    });
    expect(claims(bound.access_token).cnf).toEqual({ jkt: await thumbprint(frontKeys) });
    const params = {
      subject_token: bound.access_token,
      subject_token_type: ACCESS_TOKEN,
      resource: w.inventory.identifier,
    };
    // a stolen bound token must not come out as a Bearer one: without a proof, nothing is issued
    const detail = await refused(w.slug, w.ordersSvc, params, 'invalid_dpop_proof');
    expect(detail.reason).toBe('bound subject token without a proof');
    expect(await audited(w.slug, w.ordersSvc.clientId, 'token_exchanged')).toHaveLength(0);

    // with a proof of the service's own key, the issued token is bound to that key
    const svcConfig = await configFor(t, w.slug, w.ordersSvc);
    const svcKeys = await es256();
    const res = await oidc.genericGrantRequest(svcConfig, TOKEN_EXCHANGE, params, {
      DPoP: oidc.getDPoPHandle(svcConfig, svcKeys),
    });
    expect(res.token_type).toBe('dpop'); // openid-client lower-cases it
    const c = claims(res.access_token);
    expect(c.cnf).toEqual({ jkt: await thumbprint(svcKeys) });
    expect(c).toMatchObject({ sub: w.user.id, aud: w.inventory.identifier, scope: 'orders:read' });
  });

  it('refuses an expired subject token (invalid_grant)', async () => {
    const w = await world(t, { accessTokenTtl: '1s' });
    const s = await w.signedIn();
    await sleep((claims(s.access_token).exp + 1) * 1000 - Date.now());
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
      'invalid_grant',
    );
  });

  it('refuses the token of a revoked session (invalid_grant)', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    await t.revokeSession(w.slug, s.sid);
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
      'invalid_grant',
    );
  });

  it('refuses a subject token of another tenant, and a malformed one (invalid_grant)', async () => {
    const w = await world(t);
    const other = await world(t);
    const foreign = await other.signedIn();
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: foreign.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
      'invalid_grant',
    );
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: 'not.a.token',
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
      'invalid_grant',
    );
  });

  it('refuses a client’s own token as the subject: it belongs to no session (invalid_grant)', async () => {
    const w = await world(t);
    const own = await t.token(
      w.slug,
      { grant_type: 'client_credentials', resource: w.orders.identifier },
      w.ordersSvc,
    );
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: own.body.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
      'invalid_grant',
    );
  });

  it('refuses a chain deeper than the policy’s maxDepth (invalid_grant)', async () => {
    const w = await world(t);
    // a second hop by a client allowed one level only
    const shallow = await t.given.app(w.slug, {
      grantTypes: [TOKEN_EXCHANGE],
      tokenExchange: {
        targets: [{ resourceServer: w.billing.identifier, scopes: ['orders:read'] }],
        maxDepth: 1,
      },
    });
    const s = await w.signedIn();
    const first = await oidc.genericGrantRequest(
      await configFor(t, w.slug, w.ordersSvc),
      TOKEN_EXCHANGE,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
    );
    const detail = await refused(
      w.slug,
      shallow,
      {
        subject_token: first.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.billing.identifier,
      },
      'invalid_grant',
    );
    expect(detail.depth).toBe(2);
  });

  it('refuses an actor token of another client (invalid_grant)', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    const someoneElse = await t.given.app(w.slug, {
      grantTypes: ['client_credentials'],
      grants: [
        {
          resourceServer: w.orders.identifier,
          scopes: ['orders:read'],
          flows: ['client_credentials'],
        },
      ],
    });
    const theirs = await t.token(
      w.slug,
      { grant_type: 'client_credentials', resource: w.orders.identifier },
      someoneElse,
    );
    expect(theirs.status).toBe(200);
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        actor_token: theirs.body.access_token,
        actor_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
      'invalid_grant',
    );
  });

  it('refuses a requested_token_type other than an access token (invalid_request)', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
        requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      },
      'invalid_request',
    );
  });

  it('refuses a public client: it cannot be given the grant, and cannot use it (unauthorized_client)', async () => {
    const w = await world(t);
    const create = await t.json(
      'POST',
      `/admin/api/tenants/${w.slug}/applications`,
      {
        clientId: `pub-${Date.now()}`,
        name: 'Public',
        type: 'public',
        grantTypes: ['authorization_code', TOKEN_EXCHANGE],
        redirectUris: [cb],
      },
      await t.adminToken(),
    );
    expect(create.status).toBe(400);
    const s = await w.signedIn();
    const before = (await audited(w.slug, w.front.clientId, 'token_exchange_refused')).length;
    // the front end is a confidential client without the grant; a public one presents no secret
    const pub = await t.json(
      'POST',
      `/admin/api/tenants/${w.slug}/applications`,
      {
        clientId: `pub2-${Date.now()}`,
        name: 'Public',
        type: 'public',
        grantTypes: ['authorization_code'],
        redirectUris: [cb],
      },
      await t.adminToken(),
    );
    expect(pub.status).toBe(201);
    const pubId = pub.body.application.clientId as string;
    const res = await send(`${t.issuer(w.slug)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: TOKEN_EXCHANGE,
        client_id: pubId,
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      }),
    });
    expect(res.body.error).toBe('unauthorized_client');
    expect(res.body.access_token).toBeUndefined();
    expect(await audited(w.slug, pubId, 'token_exchange_refused')).toHaveLength(1);
    // a confidential client without the grant is refused the same way
    await refused(
      w.slug,
      w.front,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
      'unauthorized_client',
    );
    expect(await audited(w.slug, w.front.clientId, 'token_exchange_refused')).toHaveLength(
      before + 1,
    );
  });

  it('ends the exchanged token with the user’s session: introspection answers inactive', async () => {
    const w = await world(t);
    const s = await w.signedIn();
    const res = await oidc.genericGrantRequest(
      await configFor(t, w.slug, w.ordersSvc),
      TOKEN_EXCHANGE,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
    );
    const rs = await t.given.resourceServerCredentials(w.slug, w.inventory.id);
    const introspect = async () =>
      (
        await send(`${t.issuer(w.slug)}/introspect`, {
          method: 'POST',
          headers: {
            authorization: basic(rs.clientId, rs.secret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: form({ token: res.access_token }),
        })
      ).body;
    expect(await introspect()).toMatchObject({
      active: true,
      sub: w.user.id,
      client_id: w.ordersSvc.clientId,
      act: { sub: w.ordersSvc.clientId },
    });
    await t.revokeSession(w.slug, s.sid);
    expect(await introspect()).toEqual({ active: false });
  });

  it('stores the policy as given, shows it in the admin API, and refuses unknown targets and scopes', async () => {
    const w = await world(t);
    const path = `/admin/api/tenants/${w.slug}/applications/${w.ordersSvc.clientId}`;
    const shown = await t.get(path, await t.adminToken());
    expect(shown.body.tokenExchange).toEqual({
      targets: [
        { resourceServer: w.inventory.identifier, scopes: ['inventory:read', 'orders:read'] },
      ],
      maxDepth: 1,
    });
    const unknownServer = await t.json(
      'PATCH',
      path,
      {
        tokenExchange: {
          targets: [{ resourceServer: 'https://nowhere.example.test', scopes: [] }],
        },
      },
      await t.adminToken(),
    );
    expect(unknownServer.status).toBe(400);
    const unknownScope = await t.json(
      'PATCH',
      path,
      {
        tokenExchange: {
          targets: [{ resourceServer: w.billing.identifier, scopes: ['billing:everything'] }],
        },
      },
      await t.adminToken(),
    );
    expect(unknownScope.status).toBe(400);
    const tooDeep = await t.json(
      'PATCH',
      path,
      { tokenExchange: { targets: [], maxDepth: 6 } },
      await t.adminToken(),
    );
    expect(tooDeep.status).toBe(400);
    // unchanged by the refusals; null removes it, and the exchange is refused from then on
    expect((await t.get(path, await t.adminToken())).body.tokenExchange.targets).toHaveLength(1);
    const cleared = await t.json('PATCH', path, { tokenExchange: null }, await t.adminToken());
    expect(cleared.status).toBe(200);
    expect(cleared.body.tokenExchange).toBeNull();
    const s = await w.signedIn();
    await refused(
      w.slug,
      w.ordersSvc,
      {
        subject_token: s.access_token,
        subject_token_type: ACCESS_TOKEN,
        resource: w.inventory.identifier,
      },
      'invalid_target',
    );
  });

  it('refuses a built-in API as a target: in the admin API (400) and at exchange time (invalid_target)', async () => {
    const w = await world(t);
    const path = `/admin/api/tenants/${w.slug}/applications/${w.ordersSvc.clientId}`;
    for (const builtIn of ['urn:tessera:account', 'urn:tessera:ssf', 'urn:tessera:admin-api']) {
      const res = await t.json(
        'PATCH',
        path,
        { tokenExchange: { targets: [{ resourceServer: builtIn, scopes: [] }] } },
        await t.adminToken(),
      );
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        {
          pointer: '/tokenExchange/targets/0/resourceServer',
          detail: `${builtIn} is built in: no service exchanges a user's token for it`,
        },
      ]);
    }
    const created = await t.json(
      'POST',
      `/admin/api/tenants/${w.slug}/applications`,
      {
        name: 'Account broker',
        type: 'confidential',
        grantTypes: [TOKEN_EXCHANGE],
        tokenExchange: {
          targets: [{ resourceServer: 'urn:tessera:account', scopes: ['account:sessions:read'] }],
        },
      },
      await t.adminToken(),
    );
    expect(created.status).toBe(400);
    // unchanged by the refusals
    expect((await t.get(path, await t.adminToken())).body.tokenExchange.targets).toEqual([
      { resourceServer: w.inventory.identifier, scopes: ['inventory:read', 'orders:read'] },
    ]);

    // a policy stored before this check existed (written here straight to the database) is refused
    // at exchange time all the same; every user holds the account API's scopes
    await t.sql(
      `UPDATE applications a SET token_exchange = $1 FROM tenants t
       WHERE t.id = a.tenant_id AND t.slug = $2 AND a.client_id = $3`,
      [
        JSON.stringify({
          targets: [{ resourceServer: 'urn:tessera:account', scopes: ['account:sessions:read'] }],
          maxDepth: 1,
        }),
        w.slug,
        w.ordersSvc.clientId,
      ],
    );
    await t.sql(`SELECT pg_notify('tessera_config', t.id::text) FROM tenants t WHERE t.slug = $1`, [
      w.slug,
    ]);
    const s = await w.signedIn();
    await eventually(async () => {
      const detail = await refused(
        w.slug,
        w.ordersSvc,
        {
          subject_token: s.access_token,
          subject_token_type: ACCESS_TOKEN,
          resource: 'urn:tessera:account',
        },
        'invalid_target',
      );
      expect(detail.reason).toBe('built-in target');
    });
  });

  it('lists the grant in discovery', async () => {
    const w = await world(t);
    const config = await configFor(t, w.slug, w.ordersSvc);
    expect(config.serverMetadata().grant_types_supported).toContain(TOKEN_EXCHANGE);
  });
});
