import { Injectable } from '@nestjs/common';
import { ApplicationsService, type Application } from '../applications';
import { InvalidClient, InvalidRequest } from '../errors';
import type { Form, HttpRequest } from '../http';
import type { Tenant } from '../tenants';
import { ResourceServersService, type ResourceServer } from '../resource-servers';

interface PresentedCredentials {
  clientId: string;
  secret?: string;
  usedBasic: boolean;
}

/** RFC 6749 Appendix B: each half of the Basic credentials is form-urlencoded. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** RFC 6749 §2.3.1 client_secret_basic, parsed strictly: anything malformed is invalid_client. */
function parseBasic(header: string): { clientId: string; secret: string } {
  const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!m || header.length > 4096)
    throw new InvalidClient({ detail: 'malformed basic credentials' });
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  if (decoded.includes('\u0000')) throw new InvalidClient({ detail: 'NUL in basic credentials' });
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new InvalidClient({ detail: 'malformed basic credentials' });
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (clientId.includes('\u0000') || secret.includes('\u0000')) throw new Error('NUL');
    return { clientId, secret };
  } catch {
    throw new InvalidClient({ detail: 'malformed basic credentials encoding' });
  }
}

/** Reads how the client identified itself: Basic, or client_id/client_secret in the body, never both. */
function presented(req: HttpRequest, form: Form): PresentedCredentials {
  const authorization = req.headers.authorization;
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  if (authorization !== undefined) {
    if (!/^Basic\b/i.test(authorization))
      throw new InvalidClient({ detail: 'unsupported authorization scheme' });
    const basic = parseBasic(authorization);
    // RFC 6749 §2.3: one authentication method per request
    if (bodySecret !== undefined)
      throw new InvalidRequest({
        description: 'Use one client authentication method',
        detail: 'basic and client_secret_post',
      });
    if (bodyId !== undefined && bodyId !== basic.clientId)
      throw new InvalidRequest({
        description: 'client_id does not match the authenticated client',
        detail: 'client_id mismatch',
      });
    return { ...basic, usedBasic: true };
  }
  if (bodyId === undefined)
    throw new InvalidClient({ usedBasic: false, detail: 'no client identification' });
  return { clientId: bodyId, secret: bodySecret, usedBasic: false };
}

@Injectable()
export class ClientAuthenticator {
  // one authentication per request: the rate-limit guard and the handler share it
  private readonly done = new WeakMap<HttpRequest, Map<string, Promise<unknown>>>();

  constructor(
    private readonly applications: ApplicationsService,
    private readonly resourceServers: ResourceServersService,
  ) {}

  private once<T>(req: HttpRequest, what: string, run: () => Promise<T>): Promise<T> {
    let byWhat = this.done.get(req);
    if (!byWhat) this.done.set(req, (byWhat = new Map()));
    let p = byWhat.get(what) as Promise<T> | undefined;
    if (!p) byWhat.set(what, (p = run()));
    return p;
  }

  /**
   * The calling application. Confidential clients must prove their secret; public clients identify
   * themselves by client_id only (and may use only the flows that allow it).
   */
  authenticate(tenant: Tenant, req: HttpRequest, form: Form): Promise<Application> {
    return this.once(req, 'application', () => this.authenticateOnce(tenant, req, form));
  }

  private async authenticateOnce(
    tenant: Tenant,
    req: HttpRequest,
    form: Form,
  ): Promise<Application> {
    const c = presented(req, form);
    if (c.secret !== undefined) {
      const app = await this.applications.authenticate(tenant.id, c.clientId, c.secret);
      if (!app)
        throw new InvalidClient({
          usedBasic: c.usedBasic,
          detail: 'unknown client or wrong secret',
        });
      return app;
    }
    const app = await this.applications.active(tenant.id, c.clientId);
    if (!app || app.type !== 'public')
      throw new InvalidClient({
        usedBasic: c.usedBasic,
        detail: 'missing secret or unknown client',
      });
    return app;
  }

  /** For endpoints only confidential clients may call (introspection, the revocation feed). */
  async authenticateConfidential(
    tenant: Tenant,
    req: HttpRequest,
    form: Form,
  ): Promise<Application> {
    const app = await this.authenticate(tenant, req, form);
    if (app.type !== 'confidential')
      throw new InvalidClient({
        usedBasic: req.headers.authorization !== undefined,
        detail: 'public client',
      });
    return app;
  }

  /**
   * Introspection and the revocation feed: a resource server with its own credentials, or a
   * confidential application of the tenant (RFC 7662 §2.1). Always authenticated.
   */
  authenticateCaller(tenant: Tenant, req: HttpRequest, form: Form): Promise<Caller> {
    return this.once(req, 'caller', () => this.authenticateCallerOnce(tenant, req, form));
  }

  private async authenticateCallerOnce(
    tenant: Tenant,
    req: HttpRequest,
    form: Form,
  ): Promise<Caller> {
    const c = presented(req, form);
    if (c.secret !== undefined) {
      const rs = await this.resourceServers.authenticate(tenant.id, c.clientId, c.secret);
      if (rs) return { kind: 'resource-server', resourceServer: rs };
    }
    const app = await this.authenticateConfidential(tenant, req, form);
    return { kind: 'application', application: app };
  }
}

export type Caller =
  | { kind: 'resource-server'; resourceServer: ResourceServer }
  | { kind: 'application'; application: Application };
