import { Injectable } from '@nestjs/common';
import { OAuthError } from '../errors';
import type { HttpRequest } from '../http';
import { TokenInspector, type ActiveAccessToken } from '../introspection';
import type { RateLimitSubjects, RequestLimit } from '../rate-limit';
import { TenantsService, type Tenant } from '../tenants';
import { SSF_API_AUDIENCE } from '../revocation';

const presented = new WeakMap<HttpRequest, Promise<ActiveAccessToken>>();

/**
 * The SSF API token a request presents (TokenInspector.bearerFor), inspected once per request:
 * the rate-limit guard and the handler both ask, and the check costs a signature and a read.
 */
export function presentedToken(
  inspector: TokenInspector,
  tenant: Tenant,
  req: HttpRequest,
): Promise<ActiveAccessToken> {
  let token = presented.get(req);
  if (!token) {
    token = inspector.bearerFor(tenant, req.headers.authorization, SSF_API_AUDIENCE);
    token.catch(() => undefined); // its refusal is the handler's to answer
    presented.set(req, token);
  }
  return token;
}

/**
 * Who a Shared Signals call counts against: the application whose own token for the SSF API it
 * presents (RFC 9068 §2.2: its sub is its client id), in a counter of its own under the tenant's
 * introspection rule (machine callers that poll). A call without such a token is not counted: the
 * handler refuses it the same way.
 */
@Injectable()
export class SsfSubjects implements RateLimitSubjects {
  constructor(
    private readonly tenants: TenantsService,
    private readonly inspector: TokenInspector,
  ) {}

  async identify(
    _limit: RequestLimit,
    req: HttpRequest,
  ): Promise<{ tenant: Tenant; subject: string } | undefined> {
    if (!req.headers.authorization) return undefined;
    try {
      const tenant = await this.tenants.forIssuer(String(req.params.tenant));
      const at = await presentedToken(this.inspector, tenant, req);
      if (at.claims.sub !== at.claims.client_id) return undefined;
      return { tenant, subject: `ssf:${at.claims.client_id}` };
    } catch (err) {
      if (err instanceof OAuthError) return undefined;
      throw err;
    }
  }
}
