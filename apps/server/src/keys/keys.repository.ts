import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { KEYS_CHANNEL, ReadRouter, run } from '../database';
import { ANNOUNCE_KEYS, LOCK_TENANT_KEYS } from './keys.sql';
import { SigningKey, type KeyState } from './signing-key.entity';

@Injectable()
export class KeysRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reads: ReadRouter,
  ) {}

  private repo(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(SigningKey);
  }

  insert(em: EntityManager, key: SigningKey): Promise<unknown> {
    return this.repo(em).insert(key);
  }

  /** Serialises rotations of one tenant for the rest of the transaction. */
  async lockTenantKeys(em: EntityManager, tenantId: string): Promise<void> {
    await run(em, LOCK_TENANT_KEYS, [tenantId]);
  }

  byState(
    em: EntityManager | undefined,
    tenantId: string,
    state: KeyState,
  ): Promise<SigningKey | null> {
    return this.repo(em).findOneBy({ tenantId, state });
  }

  byKid(em: EntityManager, tenantId: string, kid: string): Promise<SigningKey | null> {
    return this.repo(em).findOneBy({ tenantId, kid });
  }

  /** Every instance drops its cached keys of the tenant when the transaction commits. */
  async announce(em: EntityManager, tenantId: string): Promise<void> {
    await run(em, ANNOUNCE_KEYS, [KEYS_CHANNEL, tenantId]);
  }

  async setState(em: EntityManager, id: string, changes: Partial<SigningKey>): Promise<void> {
    await this.repo(em).update({ id }, changes);
  }

  /** Keys in the JWKS: next, active, and retired ones whose tokens may still be alive; never withdrawn ones. */
  published(tenantId: string): Promise<SigningKey[]> {
    // from the replica while it may answer: a key change NOTIFYs, which keeps the replica out until
    // it has replayed the change; no key at all there (a tenant it has not replayed) asks the primary
    return this.reads.read(
      (ds) => this.publishedFrom(ds.manager, tenantId),
      (keys) => keys.length > 0,
    );
  }

  private publishedFrom(em: EntityManager, tenantId: string): Promise<SigningKey[]> {
    return this.repo(em)
      .createQueryBuilder('k')
      .where('k.tenant_id = :tenantId', { tenantId })
      .andWhere(
        `(k.state IN ('next', 'active') OR (k.state = 'retired' AND k.publish_until > now()))`,
      )
      .orderBy('k.created_at', 'DESC')
      .getMany();
  }

  list(tenantId: string): Promise<SigningKey[]> {
    return this.repo().find({ where: { tenantId }, order: { createdAt: 'DESC' } });
  }
}
