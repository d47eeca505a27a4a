import { Injectable } from '@nestjs/common';
import { OAuthError } from '../errors';
import type { HttpRequest } from '../http';
import { TokenInspector } from '../introspection';
import type { RateLimitSubjects, RequestLimit } from '../rate-limit';
import { TenantsService, type Tenant } from '../tenants';
import { SSF_API_AUDIENCE } from '../revocation';

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
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    try {
      const tenant = await this.tenants.forIssuer(String(req.params.tenant));
      const at = await this.inspector.accessToken(tenant, m[1]);
      if (!at || at.claims.sub !== at.claims.client_id) return undefined;
      if (![at.claims.aud].flat().includes(SSF_API_AUDIENCE)) return undefined;
      return { tenant, subject: `ssf:${at.claims.client_id}` };
    } catch (err) {
      if (err instanceof OAuthError) return undefined;
      throw err;
    }
  }
}
