import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { createServer, type Server } from 'node:http';
import { freePort } from './harness';
import { send, type Reply } from './http';

/**
 * An OpenID Shared Signals Framework 1.0 receiver, written from the specifications rather than
 * from the server: it discovers the transmitter (SSF §7), manages a stream with a Bearer token
 * (§8.1), verifies every SET (RFC 8417: signature against the transmitter's JWKS, `typ`
 * secevent+jwt, `iss`, `aud`, one event) and polls with acknowledgements (RFC 8936).
 */
export class SsfReceiver {
  metadata!: Record<string, any>;
  private jwks!: ReturnType<typeof createRemoteJWKSet>;

  /** `publicUrl`: the server's; `issuer`: the tenant's (`publicUrl/t/{slug}`). */
  constructor(
    private readonly publicUrl: string,
    readonly issuer: string,
  ) {}

  /** SSF §7.2.1: `/.well-known/ssf-configuration` between the host and the issuer's path. */
  configurationUrl(): string {
    const path = new URL(this.issuer).pathname.replace(/\/$/, '');
    return `${this.publicUrl}/.well-known/ssf-configuration${path}`;
  }

  async discover(): Promise<this> {
    const res = await send(this.configurationUrl());
    if (res.status !== 200) throw new Error(`ssf-configuration: ${res.status} ${res.text}`);
    // §7.2.3: the metadata's issuer must be the one asked about
    if (res.body.issuer !== this.issuer) throw new Error(`issuer mismatch: ${res.body.issuer}`);
    this.metadata = res.body;
    this.jwks = createRemoteJWKSet(new URL(res.body.jwks_uri));
    return this;
  }

  /** §8.1.1: every stream management call is JSON with the Bearer token. */
  call(method: string, url: string, token: string | undefined, body?: unknown): Promise<Reply> {
    return send(url, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  createStream(token: string, body: Record<string, unknown>): Promise<Reply> {
    return this.call('POST', this.metadata.configuration_endpoint, token, body);
  }

  /** RFC 8417 §2, SSF §4: a SET this receiver accepts, or a thrown error. */
  async verify(set: string, audience: string): Promise<JWTPayload & Record<string, any>> {
    const { payload } = await jwtVerify(set, this.jwks, {
      issuer: this.issuer,
      audience,
      typ: 'secevent+jwt',
    });
    if (typeof payload.jti !== 'string' || typeof payload.iat !== 'number')
      throw new Error('a SET has jti and iat');
    if (!payload.events || Object.keys(payload.events).length !== 1)
      throw new Error('an SSF SET carries exactly one event');
    // RFC 8417 §3: a SET is not an access or ID token
    if ('sub' in payload && !('sub_id' in payload))
      throw new Error('a SET names its subject in sub_id');
    return payload as JWTPayload & Record<string, any>;
  }

  /**
   * RFC 8936 §2.2/§2.4: one poll; every SET of the answer verified. Answers the SETs by jti and
   * whether more are available.
   */
  async poll(
    token: string,
    endpoint: string,
    audience: string,
    req: { ack?: string[]; maxEvents?: number; returnImmediately?: boolean; setErrs?: object } = {},
  ): Promise<{
    status: number;
    sets: Map<string, Record<string, any>>;
    moreAvailable: boolean;
    reply: Reply;
  }> {
    const reply = await this.call('POST', endpoint, token, { returnImmediately: true, ...req });
    const sets = new Map<string, Record<string, any>>();
    if (reply.status === 200)
      for (const [jti, set] of Object.entries(reply.body.sets as Record<string, string>)) {
        const payload = await this.verify(set, audience);
        // §2.4: the key of each SET is its jti
        if (payload.jti !== jti) throw new Error(`SET keyed ${jti} has jti ${payload.jti}`);
        sets.set(jti, payload);
      }
    return { status: reply.status, sets, moreAvailable: reply.body?.moreAvailable, reply };
  }
}

/** The one event of a verified SET: its type and its members. */
export const eventOf = (set: Record<string, any>): [string, Record<string, any>] =>
  Object.entries(set.events as Record<string, Record<string, any>>)[0];

/**
 * A receiver's RFC 8935 push endpoint: takes `application/secevent+jwt` POSTs that present the
 * expected Authorization, records the SET, and answers 202 (or what `answer` says, to make the
 * transmitter retry).
 */
export class PushEndpoint {
  readonly sets: string[] = [];
  /** Requests refused for a wrong content type or Authorization. */
  readonly refused: string[] = [];
  answer = 202;
  private server?: Server;
  port = 0;

  constructor(readonly authorization = `Bearer ${Math.random().toString(36).slice(2)}`) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/ssf/push`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/secevent+jwt') {
          this.refused.push(`content-type ${req.headers['content-type']}`);
          return res.writeHead(400).end();
        }
        if (req.headers.authorization !== this.authorization) {
          this.refused.push('authorization');
          return res.writeHead(401).end();
        }
        if (this.answer !== 202) return res.writeHead(this.answer).end();
        this.sets.push(body);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
