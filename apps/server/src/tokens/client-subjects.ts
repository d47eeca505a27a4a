import { Injectable } from '@nestjs/common';
import { OAuthError, parseForm, type HttpRequest } from '../http';
import type { RateLimitSubjects, RequestLimit } from '../rate-limit';
import { TenantsService, type Tenant } from '../tenants';
import { ClientAuthenticator } from './client-auth';

/**
 * Rate limits count authenticated callers only, so nobody can spend another client's budget by
 * naming it. A request that fails authentication is not counted: the handler refuses it the same way.
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
      return { tenant, subject: app.clientId };
    } catch (err) {
      if (err instanceof OAuthError) return undefined;
      throw err;
    }
  }
}
