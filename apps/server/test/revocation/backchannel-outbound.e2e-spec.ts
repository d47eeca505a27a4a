import { specialPurposeRange } from '@tessera/contracts';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { createServer as createTlsServer } from 'node:tls';
import { postForm, sendTo } from '../../src/logout/backchannel.sender';
import {
  eventually,
  freePort,
  signIn,
  useTestServer,
  type Reply,
  type TestServer,
} from '../support/harness';
import { LogoutReceiver } from '../support/receiver';

const CB = 'https://app.example.test/cb';

/** A tenant whose application has this back-channel logout URI, and a user of it. */
async function tenantWith(t: TestServer, backchannelLogoutUri: string) {
  const { slug } = await t.given.tenant();
  const app = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [CB],
    backchannelLogoutUri,
  });
  const user = await t.given.user(slug);
  const session = async () =>
    (await signIn(t, slug, { app, redirectUri: CB, email: user.email, password: user.password }))
      .sid;
  /** Ends the session as an administrator would; its logout goes to the outbox. */
  const end = (sid: string) => t.revokeSession(slug, sid);
  /** Ends every session of the user at once (one outbox row each). */
  const signOutEverywhere = async () =>
    expect(
      (
        await t.json(
          'POST',
          `/admin/api/tenants/${slug}/users/${user.id}/sign-out`,
          {},
          await t.adminToken(),
        )
      ).status,
    ).toBe(200);
  const deliveries = async (sid: string): Promise<Reply> =>
    t.get(`/admin/api/tenants/${slug}/backchannel-deliveries?session=${sid}`, await t.adminToken());
  return { slug, app, session, end, signOutEverywhere, deliveries };
}

/** The session's one delivery, once its first attempt has an outcome (delivered, or an error). */
async function attempted(w: Awaited<ReturnType<typeof tenantWith>>, sid: string) {
  let row: any;
  await eventually(async () => {
    [row] = (await w.deliveries(sid)).body;
    expect(row?.status === 'delivered' || !!row?.lastError).toBe(true);
  }, 10_000);
  return row;
}

/** The addresses of this machine's own name: a name, not a literal, that reaches this machine. */
async function ownNameResolvesPrivately(): Promise<string> {
  const name = hostname();
  const addresses = await lookup(name, { all: true });
  // the reproduction needs a name whose every address is loopback or private
  expect(addresses.map((a) => specialPurposeRange(a.address) !== undefined)).not.toContain(false);
  return name;
}

describe('back-channel logout: private targets refused when sending (the default)', () => {
  const t = useTestServer();
  // listens on every local address: whatever the machine's name resolves to reaches it
  const receiver = new LogoutReceiver({ host: '0.0.0.0' });
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('never connects to a host name that resolves to a loopback or private address', async () => {
    const name = await ownNameResolvesPrivately();
    // registration sees a name, not an address, and accepts it: the send is where it is checked
    const w = await tenantWith(t, receiver.urlAt(name, 'https'));
    const sid = await w.session();
    await w.end(sid);
    const shown = await attempted(w, sid);
    expect(receiver.connections.opened).toBe(0); // not even a TLS handshake
    // the administrator sees that it failed, not why: no address, no port, no kind of error
    expect(shown).toEqual(
      expect.objectContaining({
        status: 'pending',
        lastError: 'delivery failed: no HTTP response',
      }),
    );
    // the operator's log says why
    expect(t.logs.text()).toMatch(new RegExp(`refused: ${name} resolves to \\S+ \\(`));
  });

  it('never connects to a loopback literal stored while private URIs were allowed', async () => {
    const w = await tenantWith(t, 'https://rp.example.test/backchannel');
    await t.sql(`UPDATE applications SET backchannel_logout_uri = $1 WHERE client_id = $2`, [
      receiver.url,
      w.app.clientId,
    ]);
    const sid = await w.session();
    await w.end(sid);
    const shown = await attempted(w, sid);
    expect(receiver.connections.opened).toBe(0);
    expect(shown).toEqual(
      expect.objectContaining({
        status: 'pending',
        lastError: 'delivery failed: no HTTP response',
      }),
    );
  });
});

describe('back-channel logout with TESSERA_ALLOW_PRIVATE_URIS=1 (development)', () => {
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });

  it('connects to the same name as before, so the refusal above is the address check', async () => {
    const name = await ownNameResolvesPrivately();
    const receiver = await new LogoutReceiver({ host: '0.0.0.0' }).start();
    try {
      // the URI of the first case, https: the receiver speaks plain HTTP, so the TLS handshake
      // fails, after the connection the first case never saw
      const w = await tenantWith(t, receiver.urlAt(name, 'https'));
      const sid = await w.session();
      await w.end(sid);
      await eventually(() => expect(receiver.connections.opened).toBe(1));
      await eventually(async () =>
        expect((await w.deliveries(sid)).body).toEqual([
          expect.objectContaining({ lastError: 'delivery failed: no HTTP response' }),
        ]),
      );
    } finally {
      await receiver.stop();
    }
  });

  it('reads a few kilobytes of a relying party’s answer, then closes the connection', async () => {
    const size = 50 * 1024 * 1024;
    const receiver = await new LogoutReceiver({ answer: { bytes: size } }).start();
    try {
      const w = await tenantWith(t, receiver.url);
      const sid = await w.session();
      await w.end(sid);
      await eventually(async () =>
        expect((await w.deliveries(sid)).body).toEqual([
          expect.objectContaining({ status: 'delivered' }),
        ]),
      );
      await eventually(() => expect(receiver.connections.closed).toBe(1));
      // the server went away long before the 50 MB answer was taken (what was written sits in
      // the socket buffers the kernel gives a connection)
      expect(receiver.body.completed).toBe(false);
      expect(receiver.body.written).toBeLessThan(size);
    } finally {
      await receiver.stop();
    }
  });
});

describe('back-channel logout fairness', () => {
  const t = useTestServer({ env: { TESSERA_ALLOW_PRIVATE_URIS: '1' } });

  it('delivers a tenant’s logout while another tenant’s relying party hangs, and bounds each host', async () => {
    const hanging = await new LogoutReceiver({ answer: 'hang' }).start();
    const fine = await new LogoutReceiver().start();
    try {
      // two tenants whose relying parties share one host that never answers, twelve logouts each
      const stuck = [await tenantWith(t, hanging.url), await tenantWith(t, hanging.url)];
      for (const x of stuck) for (let i = 0; i < 12; i++) await x.session();
      const y = await tenantWith(t, fine.urlAt('localhost')); // another host name
      const sid = await y.session();
      for (const x of stuck) await x.signOutEverywhere();
      await eventually(() => expect(hanging.tokens.length).toBeGreaterThanOrEqual(4));
      await y.end(sid);
      await eventually(() => expect(fine.tokens).toHaveLength(1), 15_000);
      // delivered while every send to the hanging host was still waiting for its answer
      expect(hanging.connections.closed).toBe(0);
      // a host gets four sends at once, although each of the two tenants could have four
      expect(hanging.connections.mostOpen).toBe(4);
      expect((await y.deliveries(sid)).body).toEqual([
        expect.objectContaining({ status: 'delivered' }),
      ]);
    } finally {
      await hanging.stop();
      await fine.stop();
    }
  });
});

describe('the back-channel sender', () => {
  const receiver = new LogoutReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  const send = (uri: string, allowPrivate: boolean) =>
    postForm(uri, 'logout_token=x', { allowPrivate, timeoutMs: 5000, maxBodyBytes: 4096 });

  it('connects to the address it checked and no other, keeping the name for the Host header', async () => {
    // .invalid never resolves (RFC 6761 §6.4): a second resolution would fail the request
    const url = new URL(`http://rp.example.invalid:${receiver.port}/backchannel`);
    const sent = await sendTo(
      url,
      [{ address: '127.0.0.1', family: 4 }],
      'logout_token=x',
      AbortSignal.timeout(5000),
      4096,
    );
    expect(sent).toEqual({ kind: 'answered', status: 200 });
    expect(receiver.hosts.at(-1)).toBe(`rp.example.invalid:${receiver.port}`);
  });

  it('keeps the name for TLS too: the server name (SNI) is the URI’s host', async () => {
    const names: string[] = [];
    const tls = createTlsServer({
      SNICallback: (servername, done) => {
        names.push(servername);
        done(new Error('no certificate here: the name is all this test needs'));
      },
    });
    tls.on('tlsClientError', () => undefined);
    const port = await freePort();
    await new Promise<void>((resolve) => tls.listen(port, '127.0.0.1', resolve));
    try {
      const sent = await sendTo(
        new URL(`https://rp.example.invalid:${port}/backchannel`),
        [{ address: '127.0.0.1', family: 4 }],
        'logout_token=x',
        AbortSignal.timeout(5000),
        4096,
      );
      expect(sent.kind).toBe('unreachable');
      expect(names).toEqual(['rp.example.invalid']);
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });

  it('refuses loopback by name and by literal, IPv4 and IPv6, before connecting', async () => {
    const before = receiver.connections.opened;
    for (const host of ['localhost', '127.0.0.1', '[::ffff:127.0.0.1]', '[::1]'])
      expect(await send(`http://${host}:${receiver.port}/backchannel`, false)).toEqual({
        kind: 'refused',
        detail: expect.stringMatching(/\((loopback|IPv4-mapped)\)$/),
      });
    expect(receiver.connections.opened).toBe(before);
    expect(await send(`http://localhost:${receiver.port}/backchannel`, true)).toEqual({
      kind: 'answered',
      status: 200,
    });
  });
});
