import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { configChanged, run } from '../database';
import { STAMP_TOKENS_AFTER_CUT, TENANTS_LACKING } from './applications.sql';
import { Application } from './application.entity';

@Injectable()
export class ApplicationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(Application);
  }

  /** Locks the row: concurrent updates of one application (its grants) serialise. */
  lockByClientId(
    em: EntityManager,
    tenantId: string,
    clientId: string,
  ): Promise<Application | null> {
    return this.repo(em).findOne({
      where: { tenantId, clientId },
      lock: { mode: 'pessimistic_write' },
    });
  }

  byClientId(tenantId: string, clientId: string, em?: EntityManager): Promise<Application | null> {
    return this.repo(em).findOneBy({ tenantId, clientId });
  }

  list(tenantId: string): Promise<Application[]> {
    return this.repo().find({ where: { tenantId }, order: { clientId: 'ASC' } });
  }

  async insert(em: EntityManager, app: Application): Promise<void> {
    await this.repo(em).insert(app);
    await configChanged(em, app.tenantId);
  }

  async update(
    em: EntityManager,
    tenantId: string,
    id: string,
    changes: Partial<Application>,
  ): Promise<void> {
    await this.repo(em).update({ tenantId, id }, { ...changes, updatedAt: () => 'now()' } as never);
    await configChanged(em, tenantId);
  }

  /**
   * A cut of its tokens was just written (RevocationService.clientCutOff): its tokens are stamped
   * after it from now on. Read after the cut, and at least the cut's own floor, so never before it.
   */
  async stampTokensAfterCut(em: EntityManager, tenantId: string, id: string): Promise<void> {
    await run(em, STAMP_TOKENS_AFTER_CUT, [tenantId, id]);
    await configChanged(em, tenantId);
  }

  async remove(em: EntityManager, tenantId: string, id: string): Promise<void> {
    // the NOTIFY commits with the delete, or neither happens
    await this.repo(em).delete({ tenantId, id });
    await configChanged(em, tenantId);
  }

  /** Every application of a tenant, locked. */
  lockAll(em: EntityManager, tenantId: string): Promise<Application[]> {
    return this.repo(em).find({
      where: { tenantId },
      order: { clientId: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  async longestAccessTtl(tenantId: string): Promise<number> {
    const row = await this.repo()
      .createQueryBuilder('a')
      .select('max(a.access_token_ttl)', 'ttl')
      .where('a.tenant_id = :tenantId', { tenantId })
      .getRawOne<{ ttl: number | null }>();
    return Number(row?.ttl ?? 0);
  }

  /** Tenants without a public client of this id registered with exactly these URIs. */
  async tenantsLacking(
    clientId: string,
    uris: { redirectUris: string[]; postLogoutRedirectUris: string[] },
  ): Promise<string[]> {
    const rows = await run(this.dataSource.manager, TENANTS_LACKING, [
      clientId,
      JSON.stringify(uris.redirectUris),
      JSON.stringify(uris.postLogoutRedirectUris),
    ]);
    return rows.map((r) => r.id);
  }
}
