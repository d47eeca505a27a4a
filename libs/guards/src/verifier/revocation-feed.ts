import type { JWTPayload } from 'jose';
import type { TesseraAuthOptions } from '../options';
import { Follower } from './follower';

interface Cut {
  notBefore: number;
  exp: number;
}

interface FeedEvent {
  type: 'session' | 'family' | 'access_token' | 'user' | 'key' | 'audience';
  sid?: string;
  jti?: string;
  sub?: string;
  client_id?: string;
  family_id?: string;
  kid?: string;
  aud?: string;
  notBefore?: number;
  exp: number;
}

/**
 * Follows the tenant's revocation feed over Server-Sent Events (resuming with Last-Event-ID, JSON
 * polling as the fallback) and answers whether a validly signed token was revoked since. Entries are
 * kept only until their own expiry, so memory stays bounded by the tokens that could still be valid.
 */
export class RevocationFeed extends Follower {
  private readonly sessions = new Map<string, number>();
  private readonly jtis = new Map<string, number>();
  private readonly subjects = new Map<string, Cut>();
  /** Revoked families by id: a token naming one (`family_id`) is dead, whenever it was issued. */
  private readonly familyIds = new Map<string, number>();
  /** Revoked families by session and client, cut at a time: for tokens that name no family. */
  private readonly families = new Map<string, Cut>();
  /** Deleted resource servers: every token for the identifier, issued at or before the cut. */
  private readonly audiences = new Map<string, Cut>();
  private cursor = '0';
  private failures = 0;
  /** Events applied since start (for health and tests). */
  applied = 0;

  /**
   * @param onKeyWithdrawn told of every `key` event: the signing key it names was withdrawn, and
   * every token whose header names it must be refused (the JWT verifier keeps those keys).
   */
  constructor(
    o: TesseraAuthOptions,
    private readonly onKeyWithdrawn: (kid: string) => void = () => undefined,
  ) {
    super(o, 'revocation feed');
  }

  private get auth(): string {
    const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    return `Basic ${Buffer.from(`${enc(this.o.clientId!)}:${enc(this.o.clientSecret!)}`).toString('base64')}`;
  }

  private apply(e: FeedEvent): void {
    this.applied++;
    if (e.type === 'access_token' && e.jti) this.jtis.set(e.jti, e.exp);
    else if (e.type === 'session' && e.sid) this.sessions.set(e.sid, e.exp);
    else if (e.type === 'family') {
      if (e.family_id) this.familyIds.set(e.family_id, e.exp);
      if (e.sid && e.client_id)
        this.families.set(`${e.sid}|${e.client_id}`, {
          notBefore: e.notBefore ?? e.exp,
          exp: e.exp,
        });
    } else if (e.type === 'user' && e.sub)
      this.subjects.set(e.sub, { notBefore: e.notBefore ?? e.exp, exp: e.exp });
    else if (e.type === 'key' && e.kid) this.onKeyWithdrawn(e.kid);
    else if (e.type === 'audience' && e.aud)
      this.audiences.set(e.aud, { notBefore: e.notBefore ?? e.exp, exp: e.exp });
  }

  /**
   * Revoked: its jti; its session; its family — by the family it names (`family_id`), else by its
   * client in its session, cut at or after its iat (a token from before tokens named their family);
   * its audience (a deleted resource server), cut at or after its iat; or, for a token that names no
   * session, its subject cut at or after its iat. A token naming a session is ended by that
   * session's event: every session a sign-out-everywhere ends has one, and a time cut would also
   * reach a sign-in of the same second that followed it.
   */
  isRevoked(c: JWTPayload): boolean {
    const iat = typeof c.iat === 'number' ? c.iat : 0;
    if (typeof c.jti === 'string' && this.jtis.has(c.jti)) return true;
    const sid = typeof c.sid === 'string' ? c.sid : undefined;
    if (sid && this.sessions.has(sid)) return true;
    if (typeof c.family_id === 'string') {
      if (this.familyIds.has(c.family_id)) return true;
    } else {
      const fam =
        sid && typeof c.client_id === 'string'
          ? this.families.get(`${sid}|${c.client_id}`)
          : undefined;
      if (fam && iat <= fam.notBefore) return true;
    }
    for (const aud of typeof c.aud === 'string' ? [c.aud] : (c.aud ?? [])) {
      const cut = this.audiences.get(aud);
      if (cut && iat <= cut.notBefore) return true;
    }
    if (sid) return false;
    const subj = typeof c.sub === 'string' ? this.subjects.get(c.sub) : undefined;
    return !!subj && iat <= subj.notBefore;
  }

  protected override prune(): void {
    const now = Date.now() / 1000;
    for (const m of [this.sessions, this.jtis, this.familyIds] as Array<Map<string, number>>)
      for (const [k, exp] of m) if (exp < now) m.delete(k);
    for (const m of [this.subjects, this.families, this.audiences])
      for (const [k, v] of m) if (v.exp < now) m.delete(k);
  }

  get size(): number {
    return (
      this.sessions.size +
      this.jtis.size +
      this.subjects.size +
      this.families.size +
      this.familyIds.size +
      this.audiences.size
    );
  }

  protected override async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.failures >= 3) await this.poll();
        else await this.stream();
        this.failures = 0;
      } catch {
        this.failures++;
      }
      this.isConnected = false;
      if (!this.stopped)
        await new Promise((r) =>
          setTimeout(r, Math.min(1000 * this.failures, 5000) || 200).unref(),
        );
    }
  }

  /** The fallback: one page by cursor. */
  private async poll(): Promise<void> {
    const res = await fetch(`${this.o.issuer}/revocations?after=${this.cursor}`, {
      headers: { authorization: this.auth },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json()) as {
      events: Array<FeedEvent & { id: string }>;
      cursor: string;
    };
    for (const e of body.events) this.apply(e);
    this.cursor = body.cursor;
    this.contact();
    this.failures = 0; // try the stream again next time
  }

  private async stream(): Promise<void> {
    this.abort = new AbortController();
    const res = await fetch(`${this.o.issuer}/revocations?after=${this.cursor}`, {
      headers: {
        accept: 'text/event-stream',
        authorization: this.auth,
        'last-event-id': this.cursor,
      },
      signal: this.abort.signal,
    });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    this.isConnected = true;
    this.contact();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    // watchdog: the server pings every 15 s; silence beyond the staleness bound means a dead link
    const watchdog = setInterval(() => {
      if (this.isStale) this.abort?.abort();
    }, 1000);
    watchdog.unref();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const chunk = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          this.contact();
          const id = /^id: (\d+)$/m.exec(chunk)?.[1];
          const data = /^data: (.*)$/m.exec(chunk)?.[1];
          if (id && data) {
            this.apply(JSON.parse(data) as FeedEvent);
            this.cursor = id;
          }
        }
      }
    } finally {
      clearInterval(watchdog);
    }
  }
}
