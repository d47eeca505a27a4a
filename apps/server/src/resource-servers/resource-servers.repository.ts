import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { configChanged } from '../database';
import {
  ApplicationAccess,
  ResourceServer,
  UserPermission,
  type ScopeDef,
} from './resource-server.entity';

@Injectable()
export class ResourceServersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private rs(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(ResourceServer);
  }
  private access(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(ApplicationAccess);
  }

  byIdentifier(
    tenantId: string,
    identifier: string,
    em?: EntityManager,
  ): Promise<ResourceServer | null> {
    return this.rs(em).findOneBy({ tenantId, identifier });
  }

  /** Those of the identifiers the tenant has, in one query. */
  byIdentifiers(
    tenantId: string,
    identifiers: string[],
    em?: EntityManager,
  ): Promise<ResourceServer[]> {
    if (!identifiers.length) return Promise.resolve([]);
    return this.rs(em).findBy({ tenantId, identifier: In(identifiers) });
  }

  byId(tenantId: string, id: string, em?: EntityManager): Promise<ResourceServer | null> {
    return this.rs(em).findOneBy({ tenantId, id });
  }

  /** Those of the ids the tenant has, in one query. */
  byIds(tenantId: string, ids: string[], em?: EntityManager): Promise<ResourceServer[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.rs(em).findBy({ tenantId, id: In(ids) });
  }

  list(tenantId: string): Promise<ResourceServer[]> {
    return this.rs().find({ where: { tenantId }, order: { identifier: 'ASC' } });
  }

  async insert(em: EntityManager, rs: ResourceServer): Promise<void> {
    await this.rs(em).insert(rs);
    await configChanged(em, rs.tenantId);
  }

  async update(
    em: EntityManager,
    tenantId: string,
    id: string,
    changes: Partial<ResourceServer>,
  ): Promise<void> {
    await this.rs(em).update({ tenantId, id }, { ...changes, updatedAt: () => 'now()' } as never);
    await configChanged(em, tenantId);
  }

  async remove(em: EntityManager, tenantId: string, id: string): Promise<void> {
    // the NOTIFY commits with the delete, or neither happens
    await this.rs(em).delete({ tenantId, id });
    await configChanged(em, tenantId);
  }

  accessOf(
    tenantId: string,
    applicationId: string,
    em?: EntityManager,
  ): Promise<ApplicationAccess[]> {
    return this.access(em).findBy({ tenantId, applicationId });
  }

  async replaceAccess(
    em: EntityManager,
    tenantId: string,
    applicationId: string,
    rows: ApplicationAccess[],
  ): Promise<void> {
    await this.access(em).delete({ tenantId, applicationId });
    if (rows.length) await this.access(em).insert(rows);
    await configChanged(em, tenantId);
  }

  permissionsOf(tenantId: string, userId: string, em?: EntityManager): Promise<UserPermission[]> {
    return (em ?? this.dataSource.manager)
      .getRepository(UserPermission)
      .findBy({ tenantId, userId });
  }

  permissionOf(
    tenantId: string,
    userId: string,
    resourceServerId: string,
  ): Promise<UserPermission | null> {
    return this.dataSource.manager
      .getRepository(UserPermission)
      .findOneBy({ tenantId, userId, resourceServerId });
  }

  async replacePermissions(
    em: EntityManager,
    tenantId: string,
    userId: string,
    rows: UserPermission[],
  ): Promise<void> {
    const repo = em.getRepository(UserPermission);
    await repo.delete({ tenantId, userId });
    if (rows.length) await repo.insert(rows);
  }

  async builtInIds(tenantId: string, em?: EntityManager): Promise<string[]> {
    return (await this.rs(em).findBy({ tenantId, isSystem: true })).map((r) => r.id);
  }

  async tenantsLackingBuiltIn(identifier: string, scopes: ScopeDef[]): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT t.id FROM tenants t WHERE t.deleted_at IS NULL AND NOT EXISTS (
         SELECT 1 FROM resource_servers rs WHERE rs.tenant_id = t.id AND rs.identifier = $1
           AND rs.is_system AND rs.scopes @> $2::jsonb AND $2::jsonb @> rs.scopes)`,
      [identifier, JSON.stringify(scopes)],
    );
    return rows.map((r) => r.id);
  }

  byClientId(tenantId: string, clientId: string): Promise<ResourceServer | null> {
    return this.rs().findOneBy({ tenantId, clientId });
  }

  /** An application's access rows with their resource servers, in one query (the token endpoint's hot path). */
  async accessWithServers(
    tenantId: string,
    applicationId: string,
  ): Promise<Array<{ access: ApplicationAccess; resourceServer: ResourceServer }>> {
    const rows = await this.access()
      .createQueryBuilder('g')
      .innerJoinAndMapOne(
        'g.resourceServer',
        ResourceServer,
        'rs',
        'rs.id = g.resource_server_id AND rs.tenant_id = g.tenant_id',
      )
      .where('g.tenant_id = :tenantId AND g.application_id = :applicationId', {
        tenantId,
        applicationId,
      })
      .getMany();
    return rows.map((a) => ({
      access: a,
      resourceServer: (a as ApplicationAccess & { resourceServer: ResourceServer }).resourceServer,
    }));
  }
}
