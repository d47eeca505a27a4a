import fc from 'fast-check';
import { authorize, send, useTestServer, type Reply } from '../support/harness';
import { CB, world, type World } from '../support/world';
import { anyValue, basicOf, headerText, mutated } from '../support/mutations';

/**
 * Properties of the token, introspection and revocation endpoints under arbitrary and mutated
 * requests that are invalid by construction (never the real credentials with the real token):
 * never a 5xx, never a token in the answer, never an active introspection, and afterwards the
 * real refresh token, access token and code are untouched.
 */
const RUNS = 120;

describe('OAuth endpoints under arbitrary and mutated input (property-based)', () => {
  const t = useTestServer();
  let w: World;
  let rt: string;
  let at: string;
  let code: { code: string; verifier: string };

  beforeAll(async () => {
    w = await world(t);
    const s = await w.signIn();
    rt = s.refresh_token;
    at = s.access_token;
    const pending = await authorize(t, w.slug, {
      browser: s.browser,
      clientId: w.web.clientId,
      redirectUri: CB,
      email: w.user.email,
      password: w.user.password,
    });
    code = { code: pending.code, verifier: pending.verifier! };
  });

  /** Who the request claims to be: never the real confidential credentials. */
  const identity = () =>
    fc.oneof(
      fc.constant<Record<string, string>>({}),
      mutated(w.web.secret).map((s) => ({ authorization: basicOf(w.web.clientId, s) })),
      mutated(w.web.clientId).map((id) => ({ authorization: basicOf(id, w.web.secret) })),
      headerText.map((h) => ({ authorization: h })),
      headerText.map((h) => ({ authorization: `Basic ${h}` })),
      headerText.map((h) => ({ authorization: `Bearer ${h}` })),
      fc.constant({ authorization: `Bearer ${w.web.secret}` }),
    );
  /** Body-side identity: none, the public client, or the confidential one with a wrong secret. */
  const bodyIdentity = () =>
    fc.oneof(
      fc.constant<Record<string, string>>({}),
      fc.constant({ client_id: w.spa.clientId }),
      mutated(w.web.secret).map((s) => ({ client_id: w.web.clientId, client_secret: s })),
      fc.record({ client_id: anyValue, client_secret: anyValue }),
    );
  const tokenValue = () =>
    fc.oneof(
      mutated(rt),
      mutated(at),
      mutated(code.code),
      anyValue,
      fc.base64String({ maxLength: 100 }),
    );
  const extras = fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        'scope',
        'resource',
        'redirect_uri',
        'code_verifier',
        'token_type_hint',
        'grant_type',
        'client_id',
      ),
      fc.string({ maxLength: 20 }),
    ),
    anyValue,
    { maxKeys: 5 },
  );
  /** The form as sent: the base, extra parameters, maybe the first one repeated; or raw bytes. */
  const shape = fc.record({
    extra: extras,
    repeat: fc.boolean(),
    raw: fc.option(fc.string({ unit: 'binary', maxLength: 400 }), { freq: 5 }),
  });
  const body = (
    base: Record<string, string>,
    o: { extra: Record<string, string>; repeat: boolean; raw: string | null },
  ) => {
    if (o.raw !== null) return o.raw;
    const entries: Array<[string, string]> = [...Object.entries(base), ...Object.entries(o.extra)];
    if (o.repeat) entries.push(entries[0]);
    return new URLSearchParams(entries).toString();
  };
  const contentType = fc.oneof(
    fc.constant('application/x-www-form-urlencoded'),
    fc.constantFrom(
      'application/json',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded; charset=latin1',
    ),
  );

  const post = (endpoint: string, headers: Record<string, string>, payload: string, type: string) =>
    send(`${w.issuer}/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': type, ...headers },
      body: payload,
    });

  const expectNoLeak = (res: Reply) => {
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toMatch(/"(access_token|refresh_token|id_token)"/);
    for (const v of [rt, at, code.code, w.web.secret]) expect(res.text).not.toContain(v);
    if (res.status >= 400) expect(typeof res.body?.error).toBe('string');
  };

  it('the token endpoint never answers 5xx and never issues a token', async () => {
    await fc.assert(
      fc.asyncProperty(
        identity(),
        bodyIdentity(),
        fc.constantFrom(
          'authorization_code',
          'refresh_token',
          'client_credentials',
          'password',
          'urn:x',
          '',
        ),
        tokenValue(),
        fc.option(mutated(code.verifier)),
        contentType,
        shape,
        async (headers, bodyId, grant, value, verifier, type, form) => {
          const base: Record<string, string> = { grant_type: grant, ...bodyId };
          if (grant === 'refresh_token') base.refresh_token = value;
          else base.code = value;
          base.redirect_uri = CB;
          if (verifier !== null) base.code_verifier = verifier;
          const payload = body(base, form);
          expectNoLeak(await post('token', headers, payload, type));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('introspection never answers 5xx and never says active for a mutated token', async () => {
    const rsAuth = { authorization: basicOf(w.rsCreds.clientId, w.rsCreds.secret) };
    const appAuth = { authorization: basicOf(w.web.clientId, w.web.secret) };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // real credentials, never the real token
          fc.tuple(fc.constantFrom(rsAuth, appAuth), tokenValue()),
          // any credentials, possibly the real token
          fc.tuple(identity(), fc.oneof(tokenValue(), fc.constantFrom(at, rt))),
        ),
        fc.option(fc.oneof(fc.constantFrom('access_token', 'refresh_token'), anyValue)),
        contentType,
        shape,
        async ([headers, token], hint, type, form) => {
          const base: Record<string, string> = { token };
          if (hint !== null) base.token_type_hint = hint;
          const payload = body(base, form);
          const res = await post('introspect', headers, payload, type);
          expectNoLeak(res);
          if (res.status === 200) expect(res.text).toBe('{"active":false}');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('revocation never answers 5xx and never revokes with a mutated token or wrong credentials', async () => {
    const appAuth = { authorization: basicOf(w.web.clientId, w.web.secret) };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constant(appAuth), tokenValue()),
          fc.tuple(identity(), fc.oneof(tokenValue(), fc.constantFrom(at, rt))),
        ),
        fc.option(anyValue),
        contentType,
        shape,
        async ([headers, token], hint, type, form) => {
          const base: Record<string, string> = { token };
          if (hint !== null) base.token_type_hint = hint;
          const payload = body(base, form);
          const res = await post('revoke', headers, payload, type);
          expectNoLeak(res);
          if (res.status === 200) expect(res.text).toBe('');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('left everything it did not own alone: the code redeems, the tokens work, the process lives', async () => {
    expect((await w.introspect(at)).body.active).toBe(true);
    const redeemed = await w.post(
      'token',
      {
        grant_type: 'authorization_code',
        code: code.code,
        redirect_uri: CB,
        code_verifier: code.verifier,
      },
      { authorization: basicOf(w.web.clientId, w.web.secret) },
    );
    expect(redeemed.status).toBe(200);
    expect((await w.refresh(rt)).status).toBe(200);
    expect((await send(`${t.url}/healthz`)).status).toBe(200);
  });
});
