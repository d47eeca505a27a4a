import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { User } from './user.entity';

@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(User);
  }

  byEmail(tenantId: string, email: string, em?: EntityManager): Promise<User | null> {
    return this.repo(em).findOneBy({ tenantId, email: email.toLowerCase() });
  }

  /** The row, locked until the transaction ends: concurrent changes of one user serialise. */
  lockById(em: EntityManager, tenantId: string, id: string): Promise<User | null> {
    return this.repo(em).findOne({ where: { tenantId, id }, lock: { mode: 'pessimistic_write' } });
  }

  byId(tenantId: string, id: string, em?: EntityManager): Promise<User | null> {
    return this.repo(em).findOneBy({ tenantId, id });
  }

  list(tenantId: string, email?: string): Promise<User[]> {
    return this.repo().find({
      where: email ? { tenantId, email } : { tenantId },
      order: { email: 'ASC' },
      take: 500,
    });
  }

  count(tenantId: string, em?: EntityManager): Promise<number> {
    return this.repo(em).countBy({ tenantId });
  }

  insert(em: EntityManager, user: User): Promise<unknown> {
    return this.repo(em).insert(user);
  }

  /** Its sessions, families, codes and permissions go with it (foreign keys). */
  async remove(em: EntityManager, tenantId: string, id: string): Promise<void> {
    await this.repo(em).delete({ tenantId, id });
  }

  async update(
    em: EntityManager,
    tenantId: string,
    id: string,
    changes: Partial<User>,
  ): Promise<void> {
    await this.repo(em).update({ tenantId, id }, { ...changes, updatedAt: () => 'now()' } as never);
  }
}
