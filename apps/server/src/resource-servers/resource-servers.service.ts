import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  durationToSeconds,
  type ApplicationGrantInput,
  type GrantFlow,
  type GrantView,
  type ResourceServerInput,
  type UserPermissionInput,
} from '@tessera/contracts';
import { AuditService } from '../audit';
import { randomToken, SecretsService } from '../secrets';
import { RefreshFamiliesService } from '../sessions';
import { Problem, type FieldProblem, isUuid } from '../http';
import { ConfigCache, isUniqueViolation, NotifyBus } from '../database';
import {
  ApplicationGrant,
  ResourceServer,
  UserPermission,
  type ScopeDef,
} from './resource-server.entity';
import { ResourceServersRepository } from './resource-servers.repository';

/** What an application may ask of one resource server in one flow. */
export interface GrantedResource {
  resourceServer: ResourceServer;
  scopes: Set<string>;
}

export type { GrantView };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

type GrantRow = { grant: ApplicationGrant; resourceServer: ResourceServer };

@Injectable()
export class ResourceServersService {
  // what the token and introspection endpoints read on every request (invalidated on commit, by NOTIFY)
  private readonly grantsCache: ConfigCache<GrantRow[]>;
  private readonly credentialsCache: ConfigCache<ResourceServer>;

  constructor(
    private readonly repo: ResourceServersRepository,
    private readonly dataSource: DataSource,
    private readonly secrets: SecretsService,
    private readonly grants: RefreshFamiliesService,
    private readonly audit: AuditService,
    bus: NotifyBus,
  ) {
    this.grantsCache = new ConfigCache(bus);
    this.credentialsCache = new ConfigCache(bus);
  }

  /** An application's grants with their resource servers, cached. */
  private async grantRows(tenantId: string, applicationId: string): Promise<GrantRow[]> {
    return (
      (await this.grantsCache.get(tenantId, applicationId, () =>
        this.repo.grantsWithServers(tenantId, applicationId),
      )) ?? []
    );
  }

  /** This instance forgets a tenant's cached grants and credentials at once (others on the NOTIFY). */
  private forget(tenantId: string): void {
    this.grantsCache.invalidate(tenantId);
    this.credentialsCache.invalidate(tenantId);
  }

  byIdentifier(
    tenantId: string,
    identifier: string,
    em?: EntityManager,
  ): Promise<ResourceServer | null> {
    return this.repo.byIdentifier(tenantId, identifier, em);
  }

  byId(tenantId: string, id: string): Promise<ResourceServer | null> {
    return this.repo.byId(tenantId, id);
  }

  list(tenantId: string): Promise<ResourceServer[]> {
    return this.repo.list(tenantId);
  }

  /** Creates a resource server through the admin API: its identifier must be new in the tenant. */
  async create(tenantId: string, input: ResourceServerInput): Promise<ResourceServer> {
    const conflict = () =>
      new Problem('conflict', 'A resource server with this identifier exists', [
        { pointer: '/identifier', detail: 'Already registered in this tenant' },
      ]);
    try {
      const rs = await this.createIn(tenantId, input, conflict);
      this.forget(tenantId);
      return rs;
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(); // a concurrent create won the race
      throw err;
    }
  }

  private async createIn(
    tenantId: string,
    input: ResourceServerInput,
    conflict: () => Problem,
  ): Promise<ResourceServer> {
    return this.dataSource.transaction(async (em) => {
      if (await this.repo.byIdentifier(tenantId, input.identifier, em)) throw conflict();
      return (await this.upsert(em, tenantId, input)).resourceServer;
    });
  }

  /** Replaces a resource server's definition (its identifier stays). */
  async replace(tenantId: string, id: string, input: ResourceServerInput): Promise<ResourceServer> {
    const replaced = await this.dataSource.transaction(async (em) => {
      const rs = await this.require(tenantId, id, em);
      if (rs.isSystem)
        throw new Problem('forbidden', 'The built-in admin API resource server cannot be changed');
      if (rs.identifier !== input.identifier)
        throw Problem.validation([
          {
            pointer: '/identifier',
            detail: 'The identifier cannot change: tokens carry it as their audience',
          },
        ]);
      return (await this.upsert(em, tenantId, input)).resourceServer;
    });
    this.forget(tenantId);
    return replaced;
  }

  /**
   * Deletes a resource server and, in the same transaction, ends every grant of it: the families
   * granted it, and every token for its identifier issued until now (RefreshFamiliesService.endResourceServerIn).
   */
  async remove(tenantId: string, id: string): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      const rs = await this.require(tenantId, id, em);
      if (rs.isSystem)
        throw new Problem('forbidden', 'The built-in admin API resource server cannot be deleted');
      const families = await this.grants.endResourceServerIn(em, tenantId, rs);
      await this.audit.record(em, {
        tenantId,
        type: 'resource_server_deleted',
        detail: { identifier: rs.identifier, families },
      });
      await this.repo.remove(em, tenantId, id);
    });
    this.forget(tenantId);
  }

  async require(tenantId: string, id: string, em?: EntityManager): Promise<ResourceServer> {
    const rs = isUuid(id) ? await this.repo.byId(tenantId, id, em) : null;
    if (!rs) throw Problem.notFound('Resource server');
    return rs;
  }

  /**
   * Creates or updates by identifier; returns whether anything changed. `builtIn` marks one of the
   * APIs every tenant has (not editable through the admin API); with `heldByEveryUser`, every user
   * of the tenant holds all its scopes (an API that only acts on the caller's own account).
   */
  async upsert(
    em: EntityManager,
    tenantId: string,
    input: ResourceServerInput,
    builtIn?: { heldByEveryUser: boolean },
  ): Promise<{ resourceServer: ResourceServer; changed: boolean }> {
    const existing = await this.repo.byIdentifier(tenantId, input.identifier, em);
    if (existing?.isSystem && !builtIn)
      throw Problem.validation([
        { pointer: '/identifier', detail: `${input.identifier} is built in and cannot be changed` },
      ]);
    const fields: Partial<ResourceServer> = {
      name: input.name,
      baseUrls: input.baseUrls,
      scopes: input.scopes,
      permissionGroups: input.permissionGroups,
    };
    if (builtIn) Object.assign(fields, { isSystem: true, ...builtIn });
    if (input.accessTokenTtl !== undefined) {
      fields.accessTokenTtl =
        input.accessTokenTtl === null ? null : durationToSeconds(input.accessTokenTtl);
    }
    if (input.allowsOfflineAccess !== undefined)
      fields.allowsOfflineAccess = input.allowsOfflineAccess;
    if (!existing) {
      const rs = Object.assign(new ResourceServer(), {
        id: randomUUID(),
        tenantId,
        identifier: input.identifier,
        accessTokenTtl: null,
        allowsOfflineAccess: true,
        clientId: null,
        secretHash: null,
        isSystem: false,
        heldByEveryUser: false,
        ...fields,
      });
      await this.repo.insert(em, rs);
      return { resourceServer: (await this.repo.byId(tenantId, rs.id, em))!, changed: true }; // just inserted
    }
    const changed = Object.entries(fields).some(
      ([k, v]) => !sameJson(existing[k as keyof ResourceServer], v),
    );
    if (changed) await this.repo.update(em, tenantId, existing.id, fields);
    return {
      resourceServer: changed ? (await this.repo.byId(tenantId, existing.id, em))! : existing,
      changed,
    };
  }

  /** Scopes a grant gives: its scopes and its groups' scopes, limited to the scopes the server still has. */
  private grantScopes(grant: ApplicationGrant, rs: ResourceServer): Set<string> {
    const known = new Set(rs.scopes.map((s) => s.name));
    const out = new Set<string>();
    for (const s of grant.scopes) if (known.has(s)) out.add(s);
    for (const g of grant.permissionGroups) {
      for (const s of rs.permissionGroups.find((p) => p.name === g)?.scopes ?? [])
        if (known.has(s)) out.add(s);
    }
    return out;
  }

  /** The resources (and their scopes) an application is granted for a flow. */
  async granted(
    tenantId: string,
    applicationId: string,
    flow: GrantFlow,
  ): Promise<GrantedResource[]> {
    const rows = await this.grantRows(tenantId, applicationId);
    const out: GrantedResource[] = [];
    for (const { grant, resourceServer } of rows) {
      if (grant.flows.includes(flow))
        out.push({ resourceServer, scopes: this.grantScopes(grant, resourceServer) });
    }
    return out;
  }

  async grantViews(tenantId: string, applicationId: string): Promise<GrantView[]> {
    const grants = await this.repo.grantsOf(tenantId, applicationId);
    const views: GrantView[] = [];
    for (const g of grants) {
      const rs = await this.repo.byId(tenantId, g.resourceServerId);
      if (rs)
        views.push({
          resourceServer: rs.identifier,
          scopes: g.scopes,
          permissionGroups: g.permissionGroups,
          flows: g.flows,
        });
    }
    return views.sort((a, b) => a.resourceServer.localeCompare(b.resourceServer));
  }

  /**
   * Replaces an application's grants, checking every resource server, scope and group exists.
   * Returns whether anything changed.
   */
  async setGrants(
    em: EntityManager,
    tenantId: string,
    applicationId: string,
    grants: ApplicationGrantInput[],
    pointer = '/grants',
  ): Promise<boolean> {
    const problems: FieldProblem[] = [];
    const rows: ApplicationGrant[] = [];
    const seen = new Set<string>();
    for (const [i, g] of grants.entries()) {
      const rs = await this.repo.byIdentifier(tenantId, g.resourceServer, em);
      if (!rs) {
        problems.push({
          pointer: `${pointer}/${i}/resourceServer`,
          detail: `No resource server ${g.resourceServer} in this tenant`,
        });
        continue;
      }
      if (seen.has(rs.id))
        problems.push({
          pointer: `${pointer}/${i}/resourceServer`,
          detail: 'Granted twice; merge the two grants',
        });
      seen.add(rs.id);
      const known = new Set(rs.scopes.map((s) => s.name));
      (g.scopes ?? []).forEach(
        (s, j) =>
          known.has(s) ||
          problems.push({ pointer: `${pointer}/${i}/scopes/${j}`, detail: `Unknown scope ${s}` }),
      );
      (g.permissionGroups ?? []).forEach(
        (p, j) =>
          rs.permissionGroups.some((x) => x.name === p) ||
          problems.push({
            pointer: `${pointer}/${i}/permissionGroups/${j}`,
            detail: `Unknown permission group ${p}`,
          }),
      );
      rows.push(
        Object.assign(new ApplicationGrant(), {
          id: randomUUID(),
          tenantId,
          applicationId,
          resourceServerId: rs.id,
          scopes: [...new Set(g.scopes ?? [])].sort(),
          permissionGroups: [...new Set(g.permissionGroups ?? [])].sort(),
          flows: [...new Set(g.flows)].sort(),
        }),
      );
    }
    if (problems.length) throw Problem.validation(problems);
    const current = await this.repo.grantsOf(tenantId, applicationId, em);
    const key = (r: ApplicationGrant[]) =>
      JSON.stringify(
        r.map((g) => [g.resourceServerId, g.scopes, g.permissionGroups, g.flows]).sort(),
      );
    if (key(current) === key(rows)) return false;
    await this.repo.replaceGrants(em, tenantId, applicationId, rows);
    return true;
  }

  /** Scopes of a server named by its groups and single scopes, limited to what the server still defines. */
  private resolve(rs: ResourceServer, scopes: string[], groups: string[]): Set<string> {
    const known = new Set(rs.scopes.map((s) => s.name));
    const out = new Set<string>();
    for (const s of scopes) if (known.has(s)) out.add(s);
    for (const g of groups)
      for (const s of rs.permissionGroups.find((p) => p.name === g)?.scopes ?? [])
        if (known.has(s)) out.add(s);
    return out;
  }

  /**
   * The scopes a user token may carry for one resource server now: what the application is granted
   * for user flows ∩ what the user holds. Evaluated at every mint, so changes apply at the next refresh.
   */
  async currentUserGrant(
    tenantId: string,
    applicationId: string,
    userId: string,
    resourceServerId: string,
    /** The user's permission on this server when the caller has read it already (null: none). */
    prefetched?: Pick<UserPermission, 'scopes' | 'permissionGroups'> | null,
  ): Promise<{ scopes: Set<string>; accessTokenTtl: number | null }> {
    // the application's grants come from the cache; the user's permission is read every time
    const row = (await this.grantRows(tenantId, applicationId)).find(
      (r) => r.resourceServer.id === resourceServerId,
    );
    const rs = row?.resourceServer ?? (await this.repo.byId(tenantId, resourceServerId));
    if (!rs) return { scopes: new Set(), accessTokenTtl: null };
    const grant = row?.grant.flows.includes('user') ? row.grant : undefined;
    if (!grant) return { scopes: new Set(), accessTokenTtl: rs.accessTokenTtl };
    const held = rs.heldByEveryUser
      ? { scopes: rs.scopes.map((s) => s.name), permissionGroups: [] }
      : prefetched !== undefined
        ? prefetched
        : await this.repo.permissionOf(tenantId, userId, rs.id);
    if (!held) return { scopes: new Set(), accessTokenTtl: rs.accessTokenTtl };
    const granted = this.resolve(rs, grant.scopes, grant.permissionGroups);
    const holds = this.resolve(rs, held.scopes, held.permissionGroups);
    return {
      scopes: new Set([...granted].filter((s) => holds.has(s))),
      accessTokenTtl: rs.accessTokenTtl,
    };
  }

  async permissionViews(
    tenantId: string,
    userId: string,
    em?: EntityManager,
  ): Promise<Array<{ resourceServer: string; permissionGroups: string[]; scopes: string[] }>> {
    const views = [];
    for (const p of await this.repo.permissionsOf(tenantId, userId, em)) {
      const rs = await this.repo.byId(tenantId, p.resourceServerId, em);
      if (rs)
        views.push({
          resourceServer: rs.identifier,
          permissionGroups: p.permissionGroups,
          scopes: p.scopes,
        });
    }
    return views.sort((a, b) => a.resourceServer.localeCompare(b.resourceServer));
  }

  /**
   * What a user holds at a built-in API, set by the rule that owns it (the admin role gives the
   * admin API's scopes), never through setUserPermissions; null holds nothing there.
   */
  async holdBuiltIn(
    em: EntityManager,
    tenantId: string,
    userId: string,
    identifier: string,
    scopes: string[] | null,
  ): Promise<void> {
    const rs = await this.repo.byIdentifier(tenantId, identifier, em);
    if (!rs?.isSystem) throw new Error(`no built-in resource server ${identifier}`); // set up with the tenant
    const others = (await this.repo.permissionsOf(tenantId, userId, em)).filter(
      (p) => p.resourceServerId !== rs.id,
    );
    const rows = scopes
      ? [
          ...others,
          Object.assign(new UserPermission(), {
            tenantId,
            userId,
            resourceServerId: rs.id,
            scopes: [...scopes].sort(),
            permissionGroups: [],
          }),
        ]
      : others;
    await this.repo.replacePermissions(em, tenantId, userId, rows);
  }

  /** Tenants that have no built-in API with this identifier and exactly these scopes. */
  tenantsLackingBuiltIn(identifier: string, scopes: ScopeDef[]): Promise<string[]> {
    return this.repo.tenantsLackingBuiltIn(identifier, scopes);
  }

  /**
   * Replaces a user's permissions, checking every server, group and scope exists; returns whether
   * anything changed. What they hold at built-in APIs is not theirs to set here and stays.
   */
  async setUserPermissions(
    em: EntityManager,
    tenantId: string,
    userId: string,
    perms: UserPermissionInput[],
    pointer = '/permissions',
  ): Promise<boolean> {
    const problems: FieldProblem[] = [];
    const rows: UserPermission[] = [];
    const seen = new Set<string>();
    for (const [i, p] of perms.entries()) {
      const rs = await this.repo.byIdentifier(tenantId, p.resourceServer, em);
      if (!rs) {
        problems.push({
          pointer: `${pointer}/${i}/resourceServer`,
          detail: `No resource server ${p.resourceServer} in this tenant`,
        });
        continue;
      }
      if (rs.isSystem) {
        problems.push({
          pointer: `${pointer}/${i}/resourceServer`,
          detail: `${p.resourceServer} is built in: who holds its scopes follows from the user's roles`,
        });
        continue;
      }
      if (seen.has(rs.id))
        problems.push({
          pointer: `${pointer}/${i}/resourceServer`,
          detail: 'Named twice; merge the two entries',
        });
      seen.add(rs.id);
      const known = new Set(rs.scopes.map((s) => s.name));
      (p.scopes ?? []).forEach(
        (s, j) =>
          known.has(s) ||
          problems.push({ pointer: `${pointer}/${i}/scopes/${j}`, detail: `Unknown scope ${s}` }),
      );
      (p.permissionGroups ?? []).forEach(
        (g, j) =>
          rs.permissionGroups.some((x) => x.name === g) ||
          problems.push({
            pointer: `${pointer}/${i}/permissionGroups/${j}`,
            detail: `Unknown permission group ${g}`,
          }),
      );
      rows.push(
        Object.assign(new UserPermission(), {
          tenantId,
          userId,
          resourceServerId: rs.id,
          scopes: [...new Set(p.scopes ?? [])].sort(),
          permissionGroups: [...new Set(p.permissionGroups ?? [])].sort(),
        }),
      );
    }
    if (problems.length) throw Problem.validation(problems);
    const key = (r: UserPermission[]) =>
      JSON.stringify(r.map((p) => [p.resourceServerId, p.scopes, p.permissionGroups]).sort());
    const current = await this.repo.permissionsOf(tenantId, userId, em);
    const builtIn = new Set(await this.repo.builtInIds(tenantId, em));
    const kept = current.filter((p) => builtIn.has(p.resourceServerId));
    if (key(current) === key([...kept, ...rows])) return false;
    await this.repo.replacePermissions(em, tenantId, userId, [...kept, ...rows]);
    return true;
  }

  /** New credentials for the introspection endpoint; the secret is shown once. */
  async issueCredentials(
    tenantId: string,
    id: string,
  ): Promise<{ clientId: string; clientSecret: string }> {
    const rs = await this.require(tenantId, id);
    const clientId = rs.clientId ?? `rs_${randomBytes(12).toString('base64url')}`;
    const clientSecret = randomToken();
    await this.dataSource.transaction((em) =>
      this.repo.update(em, tenantId, rs.id, {
        clientId,
        secretHash: this.secrets.tokenHash(clientSecret),
      }),
    );
    this.forget(tenantId);
    return { clientId, clientSecret };
  }

  /** A resource server proving its credentials (constant-time on the HMAC). */
  async authenticate(
    tenantId: string,
    clientId: string,
    secret: string,
  ): Promise<ResourceServer | undefined> {
    const rs = await this.credentialsCache.get(tenantId, clientId, () =>
      this.repo.byClientId(tenantId, clientId),
    );
    if (!rs?.secretHash) return undefined;
    return this.secrets.tokenHashMatches(secret, rs.secretHash) ? rs : undefined;
  }
}
