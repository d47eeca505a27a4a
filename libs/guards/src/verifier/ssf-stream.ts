import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { TesseraAuthOptions } from '../options';
import { Follower } from './follower';

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const POLL = 'urn:ietf:rfc:8936';
const SSF_API = 'urn:tessera:ssf';

/**
 * Follows an OpenID Shared Signals stream of the issuer (SSF 1.0, RFC 8936 poll) instead of
 * Tessera's revocation feed, and refuses the tokens of every session a CAEP `session-revoked` SET
 * names (`sub_id.session.id`, the tokens' `sid`). The credentials are an application's with a grant
 * to `urn:tessera:ssf` (both scopes); unless `ssfStreamId` names a stream it created beforehand, it
 * creates a poll stream at start and deletes it at stop. A stream carries only what happened after
 * it was created, and only session ends: the revocation feed (`jwt+feed`) also carries single
 * tokens, families, keys and audiences.
 */
export class SsfStreamFollower extends Follower {
  /** Ended sessions, until no token of theirs can still be valid. */
  private readonly sessions = new Map<string, number>();
  private token?: { value: string; until: number };
  private endpoint?: string;
  private streamId?: string;
  private created = false;
  private jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(o: TesseraAuthOptions) {
    super(o, 'ssf stream');
  }

  /** How long a session id is kept (the longest access-token lifetime, with room). */
  private get keepMs(): number {
    return (this.o.ssfSessionMemorySeconds ?? 86_400) * 1000;
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    const res = await fetch(`${this.o.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${enc(this.o.clientId!)}:${enc(this.o.clientSecret!)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: SSF_API }),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`ssf token: ${res.status}`);
    const body = (await res.json()) as { access_token: string; expires_in: number };
    // renewed a little before it expires
    this.token = { value: body.access_token, until: Date.now() + (body.expires_in - 30) * 1000 };
    return body.access_token;
  }

  private async call(method: string, url: string, body?: unknown): Promise<Response> {
    return fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: this.abort?.signal,
    });
  }

  /** SSF §7.2.1: the transmitter's metadata, then the stream (named, or created). */
  private async connect(): Promise<void> {
    const issuer = new URL(this.o.issuer);
    const res = await fetch(
      `${issuer.origin}/.well-known/ssf-configuration${issuer.pathname.replace(/\/$/, '')}`,
      { signal: AbortSignal.timeout(5000) },
    );
    if (!res.ok) throw new Error(`ssf-configuration: ${res.status}`);
    const meta = (await res.json()) as Record<string, string>;
    if (meta.issuer !== this.o.issuer) throw new Error('ssf-configuration of another issuer');
    this.jwks ??= createRemoteJWKSet(new URL(meta.jwks_uri));
    const stream = this.o.ssfStreamId
      ? await this.call(
          'GET',
          `${meta.configuration_endpoint}?stream_id=${encodeURIComponent(this.o.ssfStreamId)}`,
        )
      : await this.call('POST', meta.configuration_endpoint, {
          events_requested: [SESSION_REVOKED],
          delivery: { method: POLL },
          description: '@tessera/nest-guards',
        });
    if (!stream.ok) throw new Error(`ssf stream: ${stream.status}`);
    const s = (await stream.json()) as {
      stream_id: string;
      events_delivered?: string[];
      delivery: { method: string; endpoint_url: string };
    };
    if (s.delivery.method !== POLL) throw new Error('ssfStreamId must name a poll stream');
    // a stream that does not carry session ends answers empty polls: that silence is no contact
    if (!s.events_delivered?.includes(SESSION_REVOKED)) {
      if (!this.o.ssfStreamId)
        await this.call(
          'DELETE',
          `${meta.configuration_endpoint}?stream_id=${encodeURIComponent(s.stream_id)}`,
        ).catch(() => undefined);
      throw new Error('the ssf stream does not deliver session-revoked');
    }
    this.streamId = s.stream_id;
    this.endpoint = s.delivery.endpoint_url;
    this.created = !this.o.ssfStreamId;
    this.configurationEndpoint = meta.configuration_endpoint;
  }

  private configurationEndpoint?: string;

  /** Also deletes the stream it created at start. */
  override stop(): void {
    super.stop();
    if (this.created && this.streamId && this.configurationEndpoint)
      void this.accessToken()
        .then((token) =>
          fetch(`${this.configurationEndpoint}?stream_id=${this.streamId}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(2000),
          }),
        )
        .catch(() => undefined);
  }

  get size(): number {
    return this.sessions.size;
  }

  isRevoked(c: JWTPayload): boolean {
    return typeof c.sid === 'string' && this.sessions.has(c.sid);
  }

  /**
   * RFC 8936: long polls (the transmitter waits up to 10 s for an event), each acknowledging the
   * SETs applied from the previous answer; a SET that does not verify is reported in `setErrs`.
   * Only an answered poll is contact: a refused one (a paused or disabled stream, SSF §8.1.2, a
   * rate limit) is not, so the guard goes stale (and, by default, fails closed).
   */
  protected override async loop(): Promise<void> {
    let ack: string[] = [];
    let setErrs: Record<string, { err: string; description: string }> = {};
    let failures = 0;
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        if (!this.endpoint) await this.connect();
        const res = await this.call('POST', this.endpoint!, {
          ack,
          setErrs,
          maxEvents: 100,
          returnImmediately: this.lastContactAt === 0,
        });
        if (res.status === 404) {
          this.endpoint = undefined; // the stream is gone: make or find it again
          throw new Error('ssf stream not found');
        }
        if (!res.ok) throw new Error(`ssf poll: ${res.status}`);
        const body = (await res.json()) as { sets: Record<string, string> };
        ack = [];
        setErrs = {};
        for (const [jti, set] of Object.entries(body.sets ?? {})) {
          try {
            this.apply(await this.verify(set));
            ack.push(jti);
          } catch {
            setErrs[jti] = { err: 'invalid_request', description: 'The SET did not verify' };
          }
        }
        failures = 0;
        this.isConnected = true;
        this.contact();
      } catch {
        this.isConnected = false;
        if (this.stopped) return;
        failures++;
        await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** failures, 10_000)).unref?.());
      }
    }
  }

  /** RFC 8417: the issuer's key, `typ` secevent+jwt, this issuer, this receiver as `aud`. */
  private async verify(set: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(set, this.jwks!, {
      issuer: this.o.issuer,
      audience: this.o.clientId,
      typ: 'secevent+jwt',
    });
    return payload;
  }

  private apply(set: JWTPayload): void {
    const events = (set.events ?? {}) as Record<string, unknown>;
    const subject = set.sub_id as { session?: { id?: unknown } } | undefined;
    const sid = subject?.session?.id;
    if (SESSION_REVOKED in events && typeof sid === 'string')
      this.sessions.set(sid, Date.now() + this.keepMs);
  }

  protected override prune(): void {
    const now = Date.now();
    for (const [sid, until] of this.sessions) if (until <= now) this.sessions.delete(sid);
  }
}
