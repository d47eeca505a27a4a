import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { BootstrapFile } from '@tessera/contracts';
import { AdminRoles, TenantBuiltIns } from '../admin';
import { ApplicationsService } from '../applications';
import { DomainError, ValidationFailed } from '../errors';
import { ResourceServersService } from '../resource-servers';
import { TenantsService } from '../tenants';
import { UsersService } from '../users';

const BOOTSTRAP_LOCK_KEY = 7_238_016_454;

export interface BootstrapSummary {
  created: string[];
  updated: string[];
}

/**
 * Applies a bootstrap file in one transaction: creates what is missing, updates what it names and
 * differs, deletes nothing. Applying the same file twice changes nothing.
 */
@Injectable()
export class BootstrapService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly resourceServers: ResourceServersService,
    private readonly applications: ApplicationsService,
    private readonly users: UsersService,
    private readonly adminRoles: AdminRoles,
    private readonly builtIns: TenantBuiltIns,
  ) {}

  async apply(file: BootstrapFile): Promise<BootstrapSummary> {
    const summary: BootstrapSummary = { created: [], updated: [] };
    const note = (changed: boolean, isNew: boolean, what: string) =>
      changed && (isNew ? summary.created : summary.updated).push(what);
    let where = '';
    try {
      await this.dataSource.transaction(async (em) => {
        await em.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
        for (const [ti, t] of file.tenants.entries()) {
          where = `tenants[${ti}]`;
          let tenant = await this.tenants.lookup(t.slug, em);
          if (!tenant) {
            tenant = await this.builtIns.createTenant(
              {
                slug: t.slug,
                name: t.name,
                signingAlg: t.signingAlg ?? 'ES256',
                policy: t.policy,
                rateLimits: t.rateLimits,
              },
              em,
            );
            note(true, true, `tenant ${t.slug}`);
          } else {
            const r = await this.tenants.update(
              tenant,
              { name: t.name, policy: t.policy, rateLimits: t.rateLimits },
              em,
            );
            tenant = r.tenant;
            note(r.changed, false, `tenant ${t.slug}`);
          }
          for (const [ri, rs] of t.resourceServers.entries()) {
            where = `tenants[${ti}].resourceServers[${ri}]`;
            const existed = !!(await this.resourceServers.byIdentifier(
              tenant.id,
              rs.identifier,
              em,
            ));
            const r = await this.resourceServers.upsert(em, tenant.id, rs);
            note(r.changed, !existed, `resource server ${rs.identifier}`);
          }
          for (const [ai, a] of t.applications.entries()) {
            where = `tenants[${ti}].applications[${ai}]`;
            const existing = await this.applications.byClientIdIn(em, tenant.id, a.clientId);
            if (!existing) {
              await this.applications.create(tenant, a, em);
              note(true, true, `application ${a.clientId}`);
              continue;
            }
            if (existing.type !== a.type)
              throw new ValidationFailed([
                {
                  path: ['type'],
                  detail: `Cannot change an existing application from ${existing.type} to ${a.type}`,
                },
              ]);
            const { clientId: _id, type: _type, ...changes } = a;
            const changed = await this.applications.update(
              tenant,
              a.clientId,
              {
                ...changes,
                policy: a.policy ?? {},
                defaultResource: a.defaultResource ?? null,
                backchannelLogoutUri: a.backchannelLogoutUri ?? null,
                requirePushedAuthorizationRequests: a.requirePushedAuthorizationRequests ?? false,
                requireDpop: a.requireDpop ?? false,
                dpopNonces: a.dpopNonces ?? false,
                tokenExchange: a.tokenExchange ?? null,
              },
              em,
            );
            note(changed, false, `application ${a.clientId}`);
          }
          for (const [ui, u] of t.users.entries()) {
            where = `tenants[${ti}].users[${ui}]`;
            const r = await this.users.upsert(em, tenant.id, u);
            note(r.changed, r.created, `user ${u.email}`);
            // the file deletes nothing: `admin` makes the user an administrator of this tenant (they
            // sign in to the console at its issuer); its absence revokes nothing
            if (u.roles.includes('admin')) await this.adminRoles.sync(em, tenant, r.user);
          }
        }
      });
    } catch (err) {
      // a refusal names the field in the entry it was applying: tenants[0].applications[1].policy.rotation
      if (err instanceof DomainError) {
        const fields = err.fields.length
          ? err.fields.map((f) => `${where}${f.path.map((p) => `.${p}`).join('')}: ${f.detail}`)
          : [`${where}: ${err.detail}`];
        throw new Error(
          `TESSERA_BOOTSTRAP: the file cannot be applied:\n  ${fields.join('\n  ')}`,
          { cause: err },
        );
      }
      throw err;
    }
    return summary;
  }
}
