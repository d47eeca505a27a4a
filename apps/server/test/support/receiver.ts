import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from './harness';

/**
 * How the relying party answers a logout token it was sent: 200 (the default), never (the request
 * hangs until the sender gives up), or with a body of `bytes` written as fast as the reader takes it.
 */
export type ReceiverAnswer = 'ok' | 'hang' | { bytes: number };

/**
 * A relying party's back-channel logout endpoint: records every logout_token it is sent, and every
 * connection made to it (a refused target must see none, not even a TLS handshake).
 */
export class LogoutReceiver {
  readonly tokens: string[] = [];
  /** The Host header of each request. */
  readonly hosts: string[] = [];
  /** Connections accepted, connections closed again, and the most that were open at once. */
  readonly connections = { opened: 0, closed: 0, mostOpen: 0 };
  /** For a `{ bytes }` answer: what was written before the connection ended, and whether it all was. */
  readonly body = { written: 0, completed: false };
  private server?: Server;
  port = 0;

  /** `host`: the address to listen on (0.0.0.0 catches a name that resolves to any local address). */
  constructor(private readonly o: { answer?: ReceiverAnswer; host?: string } = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/backchannel`;
  }

  /** The same endpoint under another host name (which must resolve to where it listens). */
  urlAt(host: string, scheme = 'http'): string {
    return `${scheme}://${host}:${this.port}/backchannel`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (req.method !== 'POST' || !token) return res.writeHead(400).end();
        this.tokens.push(token);
        this.hosts.push(req.headers.host ?? '');
        this.answer(req, res);
      });
    });
    this.server.on('connection', (socket) => {
      this.connections.opened++;
      const open = this.connections.opened - this.connections.closed;
      this.connections.mostOpen = Math.max(this.connections.mostOpen, open);
      socket.on('close', () => this.connections.closed++);
    });
    await new Promise<void>((resolve) =>
      this.server!.listen(this.port, this.o.host ?? '127.0.0.1', resolve),
    );
    return this;
  }

  private answer(_req: IncomingMessage, res: ServerResponse): void {
    const answer = this.o.answer ?? 'ok';
    if (answer === 'ok') return void res.writeHead(200).end();
    if (answer === 'hang') return;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': answer.bytes });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const more = () => {
      while (this.body.written < answer.bytes && !res.destroyed) {
        const n = Math.min(chunk.length, answer.bytes - this.body.written);
        this.body.written += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return;
      }
      if (this.body.written >= answer.bytes) res.end(() => (this.body.completed = true));
    };
    res.on('drain', more);
    more();
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
