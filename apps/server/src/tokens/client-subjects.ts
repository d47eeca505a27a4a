import { Injectable } from '@nestjs/common';
import { ipBytes } from '@tessera/contracts';
import { OAuthError } from '../errors';
import { parseForm, type HttpRequest } from '../http';
import type { RateLimitSubjects, RequestLimit } from '../rate-limit';
import { TenantsService, type Tenant } from '../tenants';
import { ClientAuthenticator } from './client-auth';

/**
 * Where a request comes from, as a rate-limit subject: the client address (behind a trusted proxy,
 * the one it forwarded), an IPv4-mapped address as IPv4, and IPv6 by its /64, the block one
 * subscriber is given (RFC 6177), so one attacker is one subject.
 */
function sourceOf(req: HttpRequest): string {
  const b = ipBytes(req.ip ?? '');
  if (!b) return 'unknown';
  const mapped =
    b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (b.length === 4 || mapped) return b.slice(-4).join('.');
  const hextets = [0, 2, 4, 6].map((i) => ((b[i] << 8) | b[i + 1]).toString(16));
  return `${hextets.join(':')}::/64`;
}

/**
 * Rate limits count authenticated callers only, so nobody can spend another client's budget by
 * naming it. A request that fails authentication is not counted: the handler refuses it the same way.
 * A public client has no secret: naming its client_id is all its "authentication", so its requests
 * count per client and source address, and a source that spends the budget (garbage grants, say)
 * is throttled alone while the client's users elsewhere go on.
 */
@Injectable()
export class ClientSubjects implements RateLimitSubjects {
  constructor(
    private readonly tenants: TenantsService,
    private readonly clients: ClientAuthenticator,
  ) {}

  async identify(
    limit: RequestLimit,
    req: HttpRequest,
  ): Promise<{ tenant: Tenant; subject: string } | undefined> {
    try {
      const tenant = await this.tenants.forIssuer(String(req.params.tenant));
      const form = parseForm(req, ['resource']);
      if (limit === 'introspection') {
        const caller = await this.clients.authenticateCaller(tenant, req, form);
        return {
          tenant,
          subject:
            caller.kind === 'resource-server'
              ? `rs:${caller.resourceServer.id}`
              : `app:${caller.application.clientId}`,
        };
      }
      const app = await this.clients.authenticate(tenant, req, form);
      return {
        tenant,
        subject: app.type === 'public' ? `${app.clientId}@${sourceOf(req)}` : app.clientId,
      };
    } catch (err) {
      if (err instanceof OAuthError) return undefined;
      throw err;
    }
  }
}
