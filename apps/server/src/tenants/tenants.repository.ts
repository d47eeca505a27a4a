import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, Not, type EntityManager } from 'typeorm';
import { Tenant } from './tenant.entity';

@Injectable()
export class TenantsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(Tenant);
  }

  /** A tenant by its slug, unless it was deleted: its issuer is gone. */
  findBySlug(slug: string, em?: EntityManager): Promise<Tenant | null> {
    return this.repo(em).findOneBy({ slug, deletedAt: IsNull() });
  }

  /** Whether a deleted tenant still holds the slug (until it is purged). */
  async isSlugOfDeleted(slug: string, em?: EntityManager): Promise<boolean> {
    return this.repo(em).existsBy({ slug, deletedAt: Not(IsNull()) });
  }

  findById(id: string, em?: EntityManager): Promise<Tenant | null> {
    return this.repo(em).findOneBy({ id });
  }

  list(): Promise<Tenant[]> {
    return this.repo().find({ where: { deletedAt: IsNull() }, order: { slug: 'ASC' } });
  }

  /**
   * Tenants by id whatever their state: the back-channel worker signs the logouts of a deleted
   * tenant's sessions with it (who administers a deleted tenant is removed with it).
   */
  listByIds(ids: string[]): Promise<Tenant[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.repo()
      .createQueryBuilder('t')
      .where('t.id IN (:...ids)', { ids })
      .orderBy('t.slug', 'ASC')
      .getMany();
  }

  insert(em: EntityManager, tenant: Tenant): Promise<unknown> {
    return this.repo(em).insert(tenant);
  }

  async update(em: EntityManager, id: string, changes: Partial<Tenant>): Promise<void> {
    await this.repo(em).update({ id }, { ...changes, updatedAt: () => 'now()' } as never);
  }

  /** Marks a tenant deleted, locking its row; false when it was already. */
  async markDeleted(em: EntityManager, id: string): Promise<boolean> {
    const result = await em.query(
      `UPDATE tenants SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return Array.isArray(result) && result[1] === 1;
  }

  /** Deletes the tenants deleted more than `afterSeconds` ago, with everything they own (foreign keys). */
  async purgeDeleted(afterSeconds: number): Promise<number> {
    const result = await this.dataSource.query(
      `DELETE FROM tenants WHERE deleted_at < now() - $1::int * interval '1 second'`,
      [afterSeconds],
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }
}
