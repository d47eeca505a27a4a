import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { TenantAdmin } from './tenant-admin.entity';

@Injectable()
export class TenantAdminsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(TenantAdmin);
  }

  async isAdmin(tenantId: string, subject: string): Promise<boolean> {
    return this.repo().existsBy({ tenantId, subject });
  }

  async add(em: EntityManager | undefined, tenantId: string, subject: string): Promise<void> {
    await this.repo(em)
      .createQueryBuilder()
      .insert()
      .values({ tenantId, subject })
      .orIgnore()
      .execute();
  }

  async remove(tenantId: string, subject: string, em?: EntityManager): Promise<void> {
    await this.repo(em).delete({ tenantId, subject });
  }

  listFor(tenantId: string, em?: EntityManager): Promise<TenantAdmin[]> {
    return this.repo(em).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }
}
