import { Browser, formOf, pkce } from '../support/browser';
import { useTestServer, type Reply } from '../support/harness';

/**
 * Issue 16 §8: cookie prefixes. Behind an https PUBLIC_URL at the root of its host (the server
 * itself speaks plain http behind a TLS-terminating proxy), the session and CSRF cookies are
 * `__Host-` cookies: Secure, Path=/, no Domain, so a sibling subdomain (which may set cookies for
 * the parent domain) cannot plant one; and a cookie of the same name without the prefix is ignored.
 */
const PUBLIC_URL = 'https://id.example.test';
const CB = 'https://app.example.test/cb';

const setCookies = (res: Reply) =>
  (res.headers as Headers & { getSetCookie(): string[] }).getSetCookie();

describe('cookies behind an https public URL', () => {
  const t = useTestServer({ env: { PUBLIC_URL } });
  let slug: string;
  let app: { clientId: string; secret: string };
  let user: { email: string; password: string };
  let names: { session: string; csrf: string };

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    app = await t.given.app(slug, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [CB],
    });
    user = await t.given.user(slug);
    names = { session: `__Host-tessera_session-${slug}`, csrf: `__Host-tessera_csrf-${slug}` };
  });

  const authorizeUrl = () => {
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: CB,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    return `${t.issuer(slug)}/authorize?${q}`;
  };
  /** The form's action names the public URL; the test reaches the server directly. */
  const local = (url: string) => url.replace(PUBLIC_URL, t.url);
  const signIn = async (b: Browser) => {
    const page = await b.get(authorizeUrl());
    expect(page.status).toBe(200);
    const { action, fields } = formOf(page.text);
    fields.set('email', user.email);
    fields.set('password', user.password);
    return { page, res: await b.post(local(action), fields) };
  };
  /** The value the server gave, under whatever name it used. */
  const valueOf = (b: Browser, base: 'tessera_session' | 'tessera_csrf') => {
    const hit = [...b.cookies].find(([name]) => name.includes(base));
    expect(hit).toBeDefined();
    return hit![1];
  };
  const expectHostCookie = (header: string | undefined, name: string) => {
    expect(header).toBeDefined();
    const [pair, ...attrs] = header!.split('; ');
    expect(pair.slice(0, pair.indexOf('='))).toBe(name);
    expect(attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']));
    expect(attrs.some((a) => /^domain=/i.test(a))).toBe(false);
  };

  it('sets the CSRF and session cookies as __Host- cookies: Secure, Path=/, no Domain', async () => {
    const b = new Browser();
    const { page, res } = await signIn(b);
    expectHostCookie(
      setCookies(page).find((c) => c.startsWith(`${names.csrf}=`)),
      names.csrf,
    );
    expect(res.status).toBe(303);
    expectHostCookie(
      setCookies(res).find((c) => c.startsWith(`${names.session}=`)),
      names.session,
    );
    expect([...b.cookies.keys()].sort()).toEqual([names.csrf, names.session].sort());
    // the SSO session works with the prefixed cookie (positive control for the next case)
    expect((await b.get(authorizeUrl())).status).toBe(302);
  });

  it('ignores a session cookie without the prefix, even with a live session’s value', async () => {
    const b = new Browser();
    await signIn(b);
    const planted = new Browser();
    planted.cookies.set('tessera_session', valueOf(b, 'tessera_session')); // what a sibling subdomain could set
    const res = await planted.get(authorizeUrl());
    expect(res.status).toBe(200); // the password is asked: no single sign-on from that cookie
    expect(res.text).toMatch(/name="password"/);
  });

  it('refuses a sign-in whose CSRF cookie lacks the prefix (login CSRF with a planted cookie)', async () => {
    // the attacker loads the form in their own browser: a CSRF value and its form token
    const attacker = new Browser();
    const page = await attacker.get(authorizeUrl());
    const { action, fields } = formOf(page.text);
    fields.set('email', user.email);
    fields.set('password', user.password);
    // …then plants that value under the unprefixed name in the victim's browser and submits
    const victim = new Browser();
    victim.cookies.set('tessera_csrf', valueOf(attacker, 'tessera_csrf'));
    const before = (await t.sql(`SELECT count(*)::int AS n FROM sessions`))[0].n;
    const res = await victim.post(local(action), fields);
    expect(res.status).toBe(403);
    expect(victim.cookies.has(names.session)).toBe(false);
    expect((await t.sql(`SELECT count(*)::int AS n FROM sessions`))[0].n).toBe(before);
  });

  it('clears the __Host- session cookie at logout with the same attributes', async () => {
    const b = new Browser();
    await signIn(b);
    const confirm = await b.get(`${t.issuer(slug)}/logout`);
    const { action, fields } = formOf(confirm.text);
    const res = await b.post(local(action), fields);
    expect(res.status).toBe(200);
    const cleared = setCookies(res).find((c) => c.startsWith(`${names.session}=;`));
    expectHostCookie(cleared, names.session);
    expect(b.cookies.has(names.session)).toBe(false);
  });
});
