import { authorize, send, useTestServer } from '../support/harness';
import { BYE, CB, world } from '../support/world';

describe('secrets hygiene (FT-14)', () => {
  const t = useTestServer({
    env: { TESSERA_ADMIN_PASSWORD: 'an admin password that must never be logged' },
  });

  it('never writes a token, client secret or password to the logs, even at debug level', async () => {
    const issued: string[] = [
      t.automation().clientSecret,
      'an admin password that must never be logged',
    ];
    const admin = await t.adminToken();
    issued.push(admin);
    const { slug } = await t.given.tenant();
    const rs = await t.given.resourceServer(slug, { scopes: [{ name: 's', description: '' }] });
    const app = await t.given.app(slug, {
      grants: [{ resourceServer: rs.identifier, scopes: ['s'], flows: ['client_credentials'] }],
    });
    issued.push(app.secret);
    const chosen = 'a-chosen-secret-of-at-least-32-characters';
    await t.given.app(slug, { clientSecret: chosen });
    issued.push(chosen);
    const ok = await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: app.clientId, secret: app.secret },
    );
    issued.push(ok.body.access_token);
    // failures: a wrong secret, a secret in the body alongside Basic, a bad bearer
    const wrongSecret = 'wrong-secret-wrong-secret-wrong-secret';
    issued.push(wrongSecret);
    await t.token(
      slug,
      { grant_type: 'client_credentials' },
      { clientId: app.clientId, secret: wrongSecret },
    );
    await t.token(
      slug,
      { grant_type: 'client_credentials', client_secret: app.secret },
      { clientId: app.clientId, secret: app.secret },
    );
    await t.get('/admin/api/tenants', `${admin}x`);
    await send(`${t.url}/t/${slug}/token?access_token=${ok.body.access_token}`, { method: 'POST' });
    const regenerated = await t.json(
      'POST',
      `/admin/api/tenants/${slug}/applications/${app.clientId}/secret`,
      undefined,
      admin,
    );
    issued.push(regenerated.body.clientSecret);

    // every user flow: sign-in (and a failed one), code, refresh, revoke, introspect, account, logout
    const w = await world(t);
    issued.push(w.web.secret, w.rsCreds.secret, w.user.password);
    const failed = 'a wrong password that must never be logged';
    issued.push(failed);
    await authorize(t, w.slug, {
      clientId: w.web.clientId,
      redirectUri: CB,
      email: w.user.email,
      password: failed,
    }).catch(() => undefined); // 401 expected
    const s = await w.signIn();
    const cookie = s.browser.cookies.get('tessera_session')!;
    issued.push(s.access_token, s.refresh_token, s.id_token, cookie);
    const csrfCookie = s.browser.cookies.get('tessera_csrf');
    if (csrfCookie) issued.push(csrfCookie);
    const sso = await authorize(t, w.slug, {
      browser: s.browser,
      clientId: w.web.clientId,
      redirectUri: CB,
      email: w.user.email,
      password: w.user.password,
    });
    issued.push(sso.code, sso.verifier!);
    const exchanged = await w.post(
      'token',
      {
        grant_type: 'authorization_code',
        code: sso.code,
        redirect_uri: CB,
        code_verifier: sso.verifier!,
      },
      {
        authorization: `Basic ${Buffer.from(`${w.web.clientId}:${w.web.secret}`).toString('base64')}`,
      },
    );
    issued.push(exchanged.body.access_token, exchanged.body.refresh_token);
    // the code again (reuse), refreshed, replayed, introspected, revoked
    await w.post('token', {
      grant_type: 'authorization_code',
      code: sso.code,
      redirect_uri: CB,
      code_verifier: sso.verifier!,
      client_id: w.web.clientId,
      client_secret: w.web.secret,
    });
    const refreshed = await w.refresh(s.refresh_token);
    issued.push(refreshed.body.access_token, refreshed.body.refresh_token);
    await w.introspect(refreshed.body.access_token);
    await w.introspect(refreshed.body.refresh_token, w.web);
    await w.revoke(exchanged.body.refresh_token);
    const mine = await w.accountSignIn();
    issued.push(mine.access_token, mine.refresh_token, mine.id_token);
    await send(`${w.issuer}/account/sessions`, {
      headers: { authorization: `Bearer ${mine.access_token}` },
    });
    await w.refresh(s.refresh_token); // a replay outside the grace? within it: same successor
    const out = await s.browser.get(
      `${w.issuer}/logout?${new URLSearchParams({ id_token_hint: s.id_token, post_logout_redirect_uri: BYE })}`,
    );
    expect(out.status).toBe(303);
    // admin: a user with a chosen password, a password change, resource-server credentials
    const chosenPassword = 'a chosen user password never logged';
    const u = await t.given.user(w.slug, { password: chosenPassword });
    issued.push(chosenPassword);
    const changed = 'a changed user password never logged';
    await t.json(
      'PATCH',
      `/admin/api/tenants/${w.slug}/users/${u.id}`,
      { password: changed },
      admin,
    );
    issued.push(changed);
    const creds = await t.json(
      'POST',
      `/admin/api/tenants/${w.slug}/resource-servers/${w.other.id}/credentials`,
      undefined,
      admin,
    );
    issued.push(creds.body.clientSecret);

    const logs = t.logs.text();
    expect(logs).toContain('"level":20'); // debug lines were written
    expect(logs.length).toBeGreaterThan(1000);
    for (const value of issued) {
      expect(value.length).toBeGreaterThan(20);
      if (value.includes('.'))
        for (const part of value.split('.')) if (part.length > 20) expect(logs).not.toContain(part);
      expect(logs).not.toContain(value);
      expect(logs).not.toContain(value.slice(0, 24)); // not even a prefix
    }
  });
});
