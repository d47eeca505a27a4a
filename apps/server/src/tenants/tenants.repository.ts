import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Tenant } from './tenant.entity';

@Injectable()
export class TenantsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(Tenant);
  }

  findBySlug(slug: string, em?: EntityManager): Promise<Tenant | null> {
    return this.repo(em).findOneBy({ slug });
  }

  findById(id: string, em?: EntityManager): Promise<Tenant | null> {
    return this.repo(em).findOneBy({ id });
  }

  list(): Promise<Tenant[]> {
    return this.repo().find({ order: { slug: 'ASC' } });
  }

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
}
