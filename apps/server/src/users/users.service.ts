import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type {
  CreateUserInput,
  UpdateUserInput,
  UserPermissionInput,
  UserView,
} from '@tessera/contracts';
import { ResourceServersService } from '../resource-servers';
import { AuditService } from '../audit';
import { isUniqueViolation } from '../database';
import { Conflict, NotFound } from '../errors';
import { isUuid } from '../http';
import { RevocationService } from '../revocation';
import { SessionsService } from '../sessions';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';

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
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
    private readonly resourceServers: ResourceServersService,
    private readonly revocation: RevocationService,
  ) {}

  permissions(tenantId: string, userId: string) {
    return this.resourceServers.permissionViews(tenantId, userId);
  }

  /** Replaces what a user holds; the next token minted for them (refresh included) reflects it. */
  async setPermissions(
    tenantId: string,
    userId: string,
    perms: UserPermissionInput[],
  ): Promise<void> {
    await this.require(tenantId, userId);
    await this.dataSource.transaction(async (em) => {
      await this.resourceServers.setUserPermissions(em, tenantId, userId, perms, []);
      // CAEP token-claims-change: what the user's next tokens carry (their scopes) changed
      await this.revocation.claimsChanged(em, tenantId, {
        sub: userId,
        claims: { permissions: perms },
      });
    });
  }

  list(tenantId: string, email?: string): Promise<User[]> {
    return this.repo.list(tenantId, email?.toLowerCase());
  }

  async require(tenantId: string, id: string): Promise<User> {
    const user = isUuid(id) ? await this.repo.byId(tenantId, id) : null;
    if (!user) throw new NotFound('User');
    return user;
  }

  /** `then` runs in the same transaction with the new user (what its roles mean elsewhere). */
  async createOne(
    tenantId: string,
    input: CreateUserInput,
    then?: (em: EntityManager, user: User) => Promise<void>,
  ): Promise<User> {
    try {
      return await this.dataSource.transaction(async (em) => {
        const user = await this.create(em, tenantId, input);
        if (input.permissions)
          await this.resourceServers.setUserPermissions(em, tenantId, user.id, input.permissions);
        await then?.(em, user);
        return user;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new Conflict('A user with this email exists', [
          { path: ['email'], detail: 'Already registered in this tenant' },
        ]);
      throw err;
    }
  }

  /**
   * Sign-out-everywhere: ends every session of the user, in one transaction. `by`: the
   * administrator's subject, which the session history shows.
   */
  async signOutEverywhere(
    tenantId: string,
    id: string,
    note?: string,
    by?: string,
  ): Promise<number> {
    await this.require(tenantId, id);
    return this.dataSource.transaction(async (em) => {
      const n = await this.sessions.revokeAllOfUser(em, tenantId, id, 'sign_out_everywhere', {
        admin: by,
      });
      await this.audit.record(em, {
        tenantId,
        type: 'session_revoked',
        userId: id,
        detail: { everywhere: true, ended: n, note: note ?? null },
      });
      return n;
    });
  }

  /**
   * Disabling ends every session of the user at once (ASVS 7.4.2). When the request changes the
   * roles or the disabled flag, `onStanding` runs in the same transaction with the user as changed
   * (what its roles mean elsewhere), on the row as locked there: a concurrent change of the same
   * user, read before it committed, cannot put back what this one took away.
   */
  async updateOne(
    tenantId: string,
    id: string,
    input: UpdateUserInput,
    onStanding?: (em: EntityManager, user: User) => Promise<void>,
    by?: string,
  ): Promise<User> {
    await this.require(tenantId, id);
    // the slow hash before the transaction, so no lock waits on it
    const passwordHash =
      input.password !== undefined ? await this.hasher.hash(input.password) : undefined;
    await this.dataSource.transaction(async (em) => {
      const user = await this.repo.lockById(em, tenantId, id);
      if (!user) throw new NotFound('User'); // deleted meanwhile
      const changes: Partial<User> = {};
      if (passwordHash) changes.passwordHash = passwordHash;
      if (input.roles) changes.roles = [...new Set(input.roles)].sort();
      if (input.isDisabled !== undefined) changes.isDisabled = input.isDisabled;
      if (Object.keys(changes).length) await this.repo.update(em, tenantId, id, changes);
      if (passwordHash)
        await this.revocation.credentialChanged(em, tenantId, {
          sub: id,
          credentialType: 'password',
          changeType: 'update',
        });
      if (changes.roles)
        await this.revocation.claimsChanged(em, tenantId, {
          sub: id,
          claims: { roles: changes.roles },
        });
      if (input.isDisabled === true && !user.isDisabled) {
        await this.sessions.revokeAllOfUser(em, tenantId, id, 'user_disabled', { admin: by });
        await this.audit.record(em, { tenantId, type: 'user_disabled', userId: id });
      }
      if (input.roles !== undefined || input.isDisabled !== undefined)
        await onStanding?.(em, { ...user, ...changes });
    });
    return this.require(tenantId, id);
  }

  /**
   * Deletes a user after ending what they held, in one transaction. `first` runs in it before the
   * user goes, with the user as found (what their roles meant elsewhere ends with them).
   */
  async removeOne(
    tenantId: string,
    id: string,
    first: (em: EntityManager, user: User) => Promise<void>,
    by?: string,
  ): Promise<void> {
    const user = await this.require(tenantId, id);
    await this.dataSource.transaction(async (em) => {
      await first(em, user);
      await this.removeIn(em, tenantId, id, by);
    });
  }

  /**
   * Deletes a user, in the caller's transaction, after ending what they held: every session (its
   * event, its back-channel logouts) and the subject on the feed, as for a disabled user. The
   * back-channel logouts outlive the user's rows: the outbox keeps what it sends.
   */
  private async removeIn(
    em: EntityManager,
    tenantId: string,
    id: string,
    by?: string,
  ): Promise<void> {
    const ended = await this.sessions.revokeAllOfUser(em, tenantId, id, 'user_deleted', {
      admin: by,
    });
    await this.audit.record(em, {
      tenantId,
      type: 'user_deleted',
      userId: id,
      detail: { sessionsEnded: ended },
    });
    await this.repo.remove(em, tenantId, id);
  }

  count(tenantId: string, em?: EntityManager): Promise<number> {
    return this.repo.count(tenantId, em);
  }

  byId(tenantId: string, id: string): Promise<User | null> {
    return this.repo.byId(tenantId, id);
  }

  byEmail(tenantId: string, email: string, em?: EntityManager): Promise<User | null> {
    return this.repo.byEmail(tenantId, email, em);
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

  /** Creates the user, or brings password, roles and permissions in line; returns whether anything changed. */
  async upsert(
    em: EntityManager,
    tenantId: string,
    input: {
      email: string;
      password: string;
      roles: string[];
      permissions?: UserPermissionInput[];
    },
  ): Promise<{ user: User; changed: boolean; created: boolean }> {
    const existing = await this.repo.byEmail(tenantId, input.email, em);
    const user = existing ?? (await this.create(em, tenantId, input));
    let changed = !existing;
    if (existing) {
      const changes: Partial<User> = {};
      if (!(await this.hasher.verify(existing.passwordHash, input.password)))
        changes.passwordHash = await this.hasher.hash(input.password);
      // the file deletes nothing: a role it does not list stays (and with it what the role means)
      const roles = [...new Set([...existing.roles, ...input.roles])].sort();
      if (JSON.stringify(roles) !== JSON.stringify(existing.roles)) changes.roles = roles;
      if (Object.keys(changes).length) {
        await this.repo.update(em, tenantId, existing.id, changes);
        changed = true;
      }
    }
    if (
      input.permissions &&
      (await this.resourceServers.setUserPermissions(em, tenantId, user.id, input.permissions))
    )
      changed = true;
    return {
      user: changed && existing ? (await this.repo.byId(tenantId, user.id, em))! : user,
      changed,
      created: !existing,
    };
  }
}
