import {
  basic,
  eventually,
  freePort,
  send,
  signIn,
  useTestServer,
  type TestServer,
} from '../support/harness';
import { LogoutReceiver } from '../support/receiver';
import { subscribeFeed } from '../support/feed';
import { sample } from '../support/metrics';

const cb = 'https://app.example.test/cb';

async function scrape(t: TestServer): Promise<string> {
  const res = await t.get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

describe('/metrics', () => {
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });
  const receiver = new LogoutReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('counts tokens, refreshes, reuse, revocations, feed deliveries and back-channel sends as they happen', async () => {
    const { slug } = await t.given.tenant();
    const api = (
      await t.given.resourceServer(slug, { scopes: [{ name: 'read', description: '' }] })
    ).identifier;
    const nobody = await freePort(); // a back-channel URI where nothing listens: sends fail
    const app = (backchannelLogoutUri: string) =>
      t.given.app(slug, {
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirectUris: [cb],
        backchannelLogoutUri,
        defaultResource: api,
        grants: [{ resourceServer: api, scopes: ['read'], flows: ['client_credentials'] }],
        policy: { reuseGraceSeconds: 0, onReuse: 'revoke-family' },
      });
    const web = await app(receiver.url);
    const broken = await app(`http://127.0.0.1:${nobody}/backchannel`);
    const user = await t.given.user(slug);
    const before = await scrape(t);
    const delta = (after: string, series: string) => sample(after, series) - sample(before, series);

    expect((await t.token(slug, { grant_type: 'client_credentials' }, web)).status).toBe(200);
    const s = await signIn(t, slug, { app: web, redirectUri: cb, ...user, scope: 'openid' });
    // SSO into the second application: the session's logout goes to both
    await signIn(t, slug, {
      app: broken,
      redirectUri: cb,
      ...user,
      scope: 'openid',
      browser: s.browser,
    });
    const rotated = await t.token(
      slug,
      { grant_type: 'refresh_token', refresh_token: s.refresh_token },
      web,
    );
    expect(rotated.status).toBe(200);
    const replay = await t.token(
      slug,
      { grant_type: 'refresh_token', refresh_token: s.refresh_token },
      web,
    );
    expect(replay.status).toBe(400);

    const feed = await subscribeFeed(`${t.issuer(slug)}/revocations`, web);
    await eventually(async () =>
      expect(sample(await scrape(t), 'tessera_revocation_feed_subscribers')).toBe(1),
    );
    await t.revokeSession(slug, s.sid);
    await eventually(() => expect(feed.events.map((e) => e.data.type)).toContain('session'));
    await eventually(() => expect(receiver.tokens).toHaveLength(1));
    let after = '';
    await eventually(async () => {
      after = await scrape(t);
      // counted once the outcome is recorded, a moment after the receiver has the token
      expect(
        delta(after, 'tessera_backchannel_deliveries_total{outcome="connection"}'),
      ).toBeGreaterThanOrEqual(1);
      expect(delta(after, 'tessera_backchannel_deliveries_total{outcome="delivered"}')).toBe(1);
    }, 15_000);
    feed.close();

    expect(delta(after, 'tessera_tokens_issued_total{grant_type="client_credentials"}')).toBe(1);
    expect(delta(after, 'tessera_tokens_issued_total{grant_type="authorization_code"}')).toBe(2);
    expect(delta(after, 'tessera_tokens_issued_total{grant_type="refresh_token"}')).toBe(1);
    expect(delta(after, 'tessera_refreshes_total{outcome="rotated"}')).toBe(1);
    expect(delta(after, 'tessera_refreshes_total{outcome="refused"}')).toBe(1);
    expect(delta(after, 'tessera_refresh_token_reuse_detected_total')).toBe(1);
    expect(delta(after, 'tessera_security_events_total{type="refresh_token_reuse"}')).toBe(1);
    expect(delta(after, 'tessera_revocations_total{type="family"}')).toBe(1);
    expect(delta(after, 'tessera_revocations_total{type="session"}')).toBe(1);
    // the feed replayed both events to the subscriber (from cursor 0), each observed once
    expect(delta(after, 'tessera_revocation_feed_lag_seconds_count')).toBe(feed.events.length);
    expect(delta(after, 'tessera_backchannel_deliveries_total{outcome="delivered"}')).toBe(1);
    // the failed send waits for its retry in the outbox
    expect(sample(after, 'tessera_backchannel_outbox_depth')).toBeGreaterThanOrEqual(1);
    expect(
      delta(
        after,
        'tessera_http_request_duration_seconds_count{method="POST",route="/t/:tenant/token",status="2xx"}',
      ),
    ).toBe(4);
    expect(
      delta(
        after,
        'tessera_http_request_duration_seconds_count{method="POST",route="/t/:tenant/token",status="4xx"}',
      ),
    ).toBe(1);
    await eventually(async () =>
      expect(sample(await scrape(t), 'tessera_revocation_feed_subscribers')).toBe(0),
    );
  });

  it('labels by route template and bounded sets only: no tenant slugs, ids or tokens', async () => {
    const { slug } = await t.given.tenant();
    const api = (
      await t.given.resourceServer(slug, { scopes: [{ name: 'read', description: '' }] })
    ).identifier;
    const app = await t.given.app(slug, {
      defaultResource: api,
      grants: [{ resourceServer: api, scopes: ['read'], flows: ['client_credentials'] }],
    });
    const issued = await t.token(slug, { grant_type: 'client_credentials' }, app);
    expect(issued.status).toBe(200);
    const token = issued.body.access_token as string;
    await t.get(`/t/${slug}/.well-known/openid-configuration`);
    await t.get(`/no/such/${slug}/path`);
    const text = await scrape(t);
    expect(text).toContain('route="/t/:tenant/.well-known/openid-configuration"');
    expect(text).toContain('route="unmatched"');
    expect(text).not.toContain(slug);
    expect(text).not.toContain(app.clientId);
    expect(text).not.toContain(token.slice(-20));
    expect(text).not.toContain(app.secret);
  });

  it('reports the database pool and the default process metrics', async () => {
    const text = await scrape(t);
    expect(sample(text, 'tessera_db_pool_max')).toBe(t.config.databasePoolMax);
    expect(sample(text, 'tessera_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    // nothing was shed or answered at the deadline, and the series exist before anything is
    expect(sample(text, 'tessera_db_pool_shed_total{reason="queue_full"}')).toBe(0);
    expect(sample(text, 'tessera_db_pool_shed_total{reason="deadline"}')).toBe(0);
    expect(text).toMatch(/^tessera_request_deadline_exceeded_total 0$/m);
    expect(sample(text, 'tessera_db_pool_hold_seconds')).toBeGreaterThan(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
  });
});

describe('/metrics with TESSERA_METRICS_TOKEN', () => {
  const secret = 'a-scrape-token-for-the-tests';
  const t = useTestServer({ env: { TESSERA_METRICS_TOKEN: secret } });

  it('asks for the Bearer token, refuses a wrong one, and answers the right one', async () => {
    const none = await t.get('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(none.text).toBe('');
    const wrong = await t.get('/metrics', 'not-the-scrape-token');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const basicAuth = await send(`${t.url}/metrics`, {
      headers: { authorization: basic('x', secret) },
    });
    expect(basicAuth.status).toBe(401);
    const right = await t.get('/metrics', secret);
    expect(right.status).toBe(200);
    expect(right.text).toContain('tessera_tokens_issued_total');
  });
});
