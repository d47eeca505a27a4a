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
import { isUuid } from '../http';
import {
  Conflict,
  Forbidden,
  NotFound,
  ValidationFailed,
  type FieldError,
  type FieldPath,
} from '../errors';
import { ConfigCache, isUniqueViolation, NotifyBus } from '../database';
import {
  ApplicationAccess,
  ResourceServer,
  UserPermission,
  type ScopeDef,
} from './resource-server.entity';
import { ResourceServersRepository } from './resource-servers.repository';
import { resolveScopes, unknownNames, userScopes } from './scope-resolution';

/** What an application may ask of one resource server in one flow. */
export interface ResourceAccess {
  resourceServer: ResourceServer;
  scopes: Set<string>;
}

/** One entry of an application's `grants` or of a user's `permissions`, as the admin API takes it. */
interface NamedEntry {
  resourceServer: string;
  scopes?: string[];
  permissionGroups?: string[];
}

export type { GrantView };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

type AccessRow = { access: ApplicationAccess; resourceServer: ResourceServer };

@Injectable()
export class ResourceServersService {
  // what the token and introspection endpoints read on every request (invalidated on commit, by NOTIFY)
  private readonly accessCache: ConfigCache<AccessRow[]>;
  private readonly credentialsCache: ConfigCache<ResourceServer>;

  constructor(
    private readonly repo: ResourceServersRepository,
    private readonly dataSource: DataSource,
    private readonly secrets: SecretsService,
    private readonly grants: RefreshFamiliesService,
    private readonly audit: AuditService,
    bus: NotifyBus,
  ) {
    this.accessCache = new ConfigCache(bus);
    this.credentialsCache = new ConfigCache(bus);
  }

  /** An application's access rows with their resource servers, cached. */
  private async accessRows(tenantId: string, applicationId: string): Promise<AccessRow[]> {
    return (
      (await this.accessCache.get(tenantId, applicationId, () =>
        this.repo.accessWithServers(tenantId, applicationId),
      )) ?? []
    );
  }

  /** This instance forgets a tenant's cached access rows and credentials at once (others on the NOTIFY). */
  private forget(tenantId: string): void {
    this.accessCache.invalidate(tenantId);
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
      new Conflict('A resource server with this identifier exists', [
        { path: ['identifier'], detail: 'Already registered in this tenant' },
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
    conflict: () => Conflict,
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
        throw new Forbidden('The built-in admin API resource server cannot be changed');
      if (rs.identifier !== input.identifier)
        throw new ValidationFailed([
          {
            path: ['identifier'],
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
        throw new Forbidden('The built-in admin API resource server cannot be deleted');
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
    if (!rs) throw new NotFound('Resource server');
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
      throw new ValidationFailed([
        { path: ['identifier'], detail: `${input.identifier} is built in and cannot be changed` },
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

  /** The resources (and their scopes) an application may ask for in a flow. */
  async granted(
    tenantId: string,
    applicationId: string,
    flow: GrantFlow,
  ): Promise<ResourceAccess[]> {
    const rows = await this.accessRows(tenantId, applicationId);
    const out: ResourceAccess[] = [];
    for (const { access, resourceServer } of rows) {
      if (access.flows.includes(flow))
        out.push({ resourceServer, scopes: resolveScopes(resourceServer, access) });
    }
    return out;
  }

  /** An application's access as the admin API shows it (its `grants` field), in one query. */
  async grantViews(tenantId: string, applicationId: string): Promise<GrantView[]> {
    const rows = await this.repo.accessWithServers(tenantId, applicationId);
    return rows
      .map(({ access, resourceServer }) => ({
        resourceServer: resourceServer.identifier,
        scopes: access.scopes,
        permissionGroups: access.permissionGroups,
        flows: access.flows,
      }))
      .sort((a, b) => a.resourceServer.localeCompare(b.resourceServer));
  }

  /**
   * Replaces an application's access (its `grants` field), checking every resource server, scope
   * and group exists. Returns whether anything changed.
   */
  async setGrants(
    em: EntityManager,
    tenantId: string,
    applicationId: string,
    grants: ApplicationGrantInput[],
    at: FieldPath = ['grants'],
  ): Promise<boolean> {
    const checked = await this.checkEntries(em, tenantId, grants, at, {
      twice: 'Granted twice; merge the two grants',
    });
    const rows = checked.map(({ entry, rs }) =>
      Object.assign(new ApplicationAccess(), {
        id: randomUUID(),
        tenantId,
        applicationId,
        resourceServerId: rs.id,
        scopes: [...new Set(entry.scopes ?? [])].sort(),
        permissionGroups: [...new Set(entry.permissionGroups ?? [])].sort(),
        flows: [...new Set(entry.flows)].sort(),
      }),
    );
    const current = await this.repo.accessOf(tenantId, applicationId, em);
    const key = (r: ApplicationAccess[]) =>
      JSON.stringify(
        r.map((a) => [a.resourceServerId, a.scopes, a.permissionGroups, a.flows]).sort(),
      );
    if (key(current) === key(rows)) return false;
    await this.repo.replaceAccess(em, tenantId, applicationId, rows);
    return true;
  }

  /**
   * The resource servers an application's `grants` or a user's `permissions` name, looked up in
   * one query; refuses (400, a field path per problem) an unknown server, scope or group, a server
   * named twice and, with `builtIn`, a built-in server.
   */
  private async checkEntries<E extends NamedEntry>(
    em: EntityManager,
    tenantId: string,
    entries: E[],
    at: FieldPath,
    o: { twice: string; builtIn?: (identifier: string) => string },
  ): Promise<Array<{ entry: E; rs: ResourceServer }>> {
    const servers = new Map(
      (
        await this.repo.byIdentifiers(
          tenantId,
          [...new Set(entries.map((e) => e.resourceServer))],
          em,
        )
      ).map((rs) => [rs.identifier, rs]),
    );
    const problems: FieldError[] = [];
    const out: Array<{ entry: E; rs: ResourceServer }> = [];
    const seen = new Set<string>();
    for (const [i, entry] of entries.entries()) {
      const entryAt = [...at, i];
      const rs = servers.get(entry.resourceServer);
      if (!rs) {
        problems.push({
          path: [...entryAt, 'resourceServer'],
          detail: `No resource server ${entry.resourceServer} in this tenant`,
        });
        continue;
      }
      if (rs.isSystem && o.builtIn) {
        problems.push({
          path: [...entryAt, 'resourceServer'],
          detail: o.builtIn(entry.resourceServer),
        });
        continue;
      }
      if (seen.has(rs.id)) problems.push({ path: [...entryAt, 'resourceServer'], detail: o.twice });
      seen.add(rs.id);
      problems.push(...unknownNames(rs, entry, entryAt));
      out.push({ entry, rs });
    }
    if (problems.length) throw new ValidationFailed(problems);
    return out;
  }

  /**
   * The scopes a user token may carry for one resource server now: what the application is granted
   * for user flows ∩ what the user holds. Evaluated at every mint, so changes apply at the next refresh.
   */
  async currentUserAccess(
    tenantId: string,
    applicationId: string,
    userId: string,
    resourceServerId: string,
    /** The user's permission on this server when the caller has read it already (null: none). */
    prefetched?: Pick<UserPermission, 'scopes' | 'permissionGroups'> | null,
  ): Promise<{ scopes: Set<string>; accessTokenTtl: number | null }> {
    // the application's access comes from the cache; the user's permission is read every time
    const row = (await this.accessRows(tenantId, applicationId)).find(
      (r) => r.resourceServer.id === resourceServerId,
    );
    const rs = row?.resourceServer ?? (await this.repo.byId(tenantId, resourceServerId));
    if (!rs) return { scopes: new Set(), accessTokenTtl: null };
    const access = row?.access.flows.includes('user') ? row.access : undefined;
    if (!access) return { scopes: new Set(), accessTokenTtl: rs.accessTokenTtl };
    const held = await this.heldAt(tenantId, userId, rs, prefetched);
    if (!held) return { scopes: new Set(), accessTokenTtl: rs.accessTokenTtl };
    return { scopes: userScopes(rs, access, held), accessTokenTtl: rs.accessTokenTtl };
  }

  /**
   * The scopes a user holds at one resource server now, whichever application asks: the half of
   * {@link currentUserAccess} that is the user's. Token exchange needs it alone: there the
   * exchanging application's policy, not its `grants`, is the other half.
   */
  async currentUserHolds(
    tenantId: string,
    userId: string,
    rs: ResourceServer,
  ): Promise<Set<string>> {
    const held = await this.heldAt(tenantId, userId, rs);
    return held ? resolveScopes(rs, held) : new Set();
  }

  /** The user's permission at a server, read every time (never cached); null: none. */
  private async heldAt(
    tenantId: string,
    userId: string,
    rs: ResourceServer,
    prefetched?: Pick<UserPermission, 'scopes' | 'permissionGroups'> | null,
  ): Promise<Pick<UserPermission, 'scopes' | 'permissionGroups'> | null> {
    if (rs.heldByEveryUser) return { scopes: rs.scopes.map((s) => s.name), permissionGroups: [] };
    if (prefetched !== undefined) return prefetched;
    return this.repo.permissionOf(tenantId, userId, rs.id);
  }

  async permissionViews(
    tenantId: string,
    userId: string,
    em?: EntityManager,
  ): Promise<Array<{ resourceServer: string; permissionGroups: string[]; scopes: string[] }>> {
    const permissions = await this.repo.permissionsOf(tenantId, userId, em);
    const servers = new Map(
      (
        await this.repo.byIds(
          tenantId,
          permissions.map((p) => p.resourceServerId),
          em,
        )
      ).map((rs) => [rs.id, rs]),
    );
    const views = [];
    for (const p of permissions) {
      const rs = servers.get(p.resourceServerId);
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
    at: FieldPath = ['permissions'],
  ): Promise<boolean> {
    const checked = await this.checkEntries(em, tenantId, perms, at, {
      twice: 'Named twice; merge the two entries',
      builtIn: (identifier) =>
        `${identifier} is built in: who holds its scopes follows from the user's roles`,
    });
    const rows = checked.map(({ entry, rs }) =>
      Object.assign(new UserPermission(), {
        tenantId,
        userId,
        resourceServerId: rs.id,
        scopes: [...new Set(entry.scopes ?? [])].sort(),
        permissionGroups: [...new Set(entry.permissionGroups ?? [])].sort(),
      }),
    );
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
