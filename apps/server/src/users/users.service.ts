import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';

export interface UserView {
  id: string;
  email: string;
  roles: string[];
  isDisabled: boolean;
  createdAt: string;
}

export function userView(u: User): UserView {
  return {
    id: u.id,
    email: u.email,
    roles: u.roles,
    isDisabled: u.isDisabled,
    createdAt: u.createdAt.toISOString(),
  };
}

@Injectable()
export class UsersService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  count(tenantId: string, em?: EntityManager): Promise<number> {
    return this.repo.count(tenantId, em);
  }

  byEmail(tenantId: string, email: string): Promise<User | null> {
    return this.repo.byEmail(tenantId, email);
  }

  async create(
    em: EntityManager,
    tenantId: string,
    input: { email: string; password: string; roles: string[] },
  ): Promise<User> {
    const user = Object.assign(new User(), {
      id: randomUUID(),
      tenantId,
      email: input.email.toLowerCase(),
      passwordHash: await this.hasher.hash(input.password),
      isDisabled: false,
      roles: [...new Set(input.roles)].sort(),
    });
    await this.repo.insert(em, user);
    return (await this.repo.byId(tenantId, user.id, em))!; // just inserted
  }

  /** Creates the user, or brings password and roles in line; returns whether anything changed. */
  async upsert(
    em: EntityManager,
    tenantId: string,
    input: { email: string; password: string; roles: string[] },
  ): Promise<{ user: User; changed: boolean; created: boolean }> {
    const existing = await this.repo.byEmail(tenantId, input.email, em);
    if (!existing)
      return { user: await this.create(em, tenantId, input), changed: true, created: true };
    const changes: Partial<User> = {};
    if (!(await this.hasher.verify(existing.passwordHash, input.password)))
      changes.passwordHash = await this.hasher.hash(input.password);
    const roles = [...new Set(input.roles)].sort();
    if (JSON.stringify(roles) !== JSON.stringify(existing.roles)) changes.roles = roles;
    if (Object.keys(changes).length === 0)
      return { user: existing, changed: false, created: false };
    await this.repo.update(em, tenantId, existing.id, changes);
    return {
      user: (await this.repo.byId(tenantId, existing.id, em))!,
      changed: true,
      created: false,
    };
  }
}
