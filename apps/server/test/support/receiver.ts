import { createServer, type Server } from 'node:http';
import { freePort } from './harness';

/** A relying party's back-channel logout endpoint: records every logout_token it is sent. */
export class LogoutReceiver {
  readonly tokens: string[] = [];
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/backchannel`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (req.method === 'POST' && token) {
          this.tokens.push(token);
          res.writeHead(200).end();
        } else res.writeHead(400).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
