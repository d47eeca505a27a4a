import { connect, type Socket } from 'node:net';
import {
  createTestDatabase,
  isServerMode,
  type TestDatabase,
} from '../../../../test-setup/test-database';
import { EMBEDDED_POOL_MAX } from '../../src/database';
import { basic, eventually, form } from '../support/harness';
import { subscribeFeed } from '../support/feed';
import { ServerProcess } from '../support/processes';

/** A raw HTTP/1.1 connection, to hold a request half-sent across the SIGTERM. */
function rawConnection(port: number): Promise<{ socket: Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => data }));
    socket.on('data', (c: Buffer) => (data += c.toString('utf8')));
    socket.once('error', reject);
  });
}

const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

describe('SIGTERM (stop)', () => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await ServerProcess.start({
      databaseUrl: db.url,
      env: {
        LOG_LEVEL: 'info', // the shutdown steps are info lines
        // on the embedded test database, one connection, as the embedded mode itself uses
        ...(isServerMode() ? {} : { DATABASE_POOL_MAX: String(EMBEDDED_POOL_MAX) }),
      },
    });
  }, 180_000);

  afterAll(async () => {
    await server?.kill('SIGKILL');
    await db?.drop();
  });

  it('stops accepting, answers the request in flight, ends feed streams and exits 0 before its 10 s bound', async () => {
    const port = Number(new URL(server.url).port);
    const creds = server.automation;
    const feed = await subscribeFeed(`${server.url}/t/system/revocations`, creds);
    expect(feed.status).toBe(200);

    // a token request whose headers the server has read (it answered 100 Continue) and whose
    // body has not been sent yet: in flight when the signal arrives
    const body = form({ grant_type: 'client_credentials' });
    const conn = await rawConnection(port);
    conn.socket.write(
      [
        'POST /t/system/token HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        `Authorization: ${basic(creds.clientId, creds.secret)}`,
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Expect: 100-continue',
        '',
        '',
      ].join('\r\n'),
    );
    await eventually(() => expect(conn.received()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/));

    void server.kill('SIGTERM'); // not awaited: the steps of the shutdown are watched below
    await eventually(() => expect(server.logs().some((l) => l.msg === 'shutting down')).toBe(true));
    // stopped accepting: the listener is closed while the request is still open
    await eventually(async () => expect(await refusesConnections(port)).toBe(true));
    // the live feed stream was ended by the server, not left hanging
    await eventually(() => expect(feed.hasEnded).toBe(true));
    expect(server.isRunning).toBe(true);

    conn.socket.write(body);
    await eventually(() => expect(conn.received()).toMatch(/\r\n\r\n\{.*\}$/s));
    const [head, json] = conn.received().split('\r\n\r\n').slice(1);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\nConnection: close\r\n/i);
    expect(JSON.parse(json)).toEqual(
      expect.objectContaining({ access_token: expect.any(String), token_type: 'Bearer' }),
    );

    // 0, not the 1 of the backstop that fires at 9.5 s: the drain finished within the bound
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs().some((l) => l.msg === 'stopped')).toBe(true);
    conn.socket.destroy();
  });
});
