import fc from 'fast-check';
import { send, useTestServer, type SignedInTokens } from '../support/harness';
import { BYE, world, type World } from '../support/world';
import { anyValue, mutated } from '../support/mutations';

/**
 * RP-initiated logout under arbitrary and mutated parameters (the property layer of the bad-input cases):
 * never a 5xx, never a redirect without a genuine hint, and the browser's session survives every
 * request that proves nothing (only the user's confirmation or a valid hint may end it).
 */
const RUNS = 100;

describe('end_session under arbitrary and mutated input (property-based)', () => {
  const t = useTestServer();
  let w: World;
  let s: SignedInTokens;
  let otherHint: string;

  beforeAll(async () => {
    w = await world(t);
    s = await w.signIn();
    otherHint = (await (await world(t)).signIn()).id_token;
  });

  const params = () =>
    fc.record(
      {
        id_token_hint: fc.oneof(
          mutated(s.id_token),
          anyValue,
          fc.constant(otherHint),
          // the same signed bytes, spelled with whitespace: not a hint (RFC 7515 §7.1)
          fc.constantFrom(' ', '\n', '\t', '\r\n').map((ws) => `${s.id_token}${ws}`),
        ),
        post_logout_redirect_uri: fc.oneof(fc.constant(BYE), mutated(BYE), anyValue),
        client_id: fc.oneof(fc.constant(w.web.clientId), anyValue),
        state: anyValue,
        confirm: fc.constantFrom('yes', 'no', ''),
        csrf: anyValue,
      },
      { requiredKeys: [] },
    );

  it('never answers 5xx, never redirects, and ends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(params(), fc.constantFrom('GET', 'POST'), async (p, method) => {
        const q = new URLSearchParams(p as Record<string, string>).toString();
        const res =
          method === 'GET'
            ? await s.browser.get(`${w.issuer}/logout?${q}`)
            : await s.browser.post(`${w.issuer}/logout`, new URLSearchParams(q));
        expect(res.status).toBeLessThan(500);
        expect({ q, location: res.headers.get('location') }).toEqual({ q, location: null });
        expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|\.ts:\d+/);
      }),
      { numRuns: RUNS },
    );
    expect((await w.introspect(s.access_token)).body.active).toBe(true);
    expect((await send(`${t.url}/healthz`)).status).toBe(200);
  });
});
