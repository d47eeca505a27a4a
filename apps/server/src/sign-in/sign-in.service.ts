import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EffectivePolicy } from '@tessera/contracts';
import { ApplicationsService } from '../applications';
import { AuditService } from '../audit';
import { RateLimitService } from '../rate-limit';
import { RefreshFamiliesService, SessionsService, type ClientContext } from '../sessions';
import type { Tenant } from '../tenants';
import { HasherBusyError, PasswordHasher, UsersService } from '../users';
import type { ValidRequest } from './authorization-request';
import { PushedRequests } from './pushed-requests';

/** A live session a code is issued on. */
export interface SignedInSession {
  id: string;
  userId: string;
  authTime: Date;
}

/** What a password sign-in came to; the controller turns each into a page or a redirect. */
export type SignInOutcome =
  /** Too many failures for the account or the client address: retry after `waitSeconds`. */
  | { kind: 'locked'; waitSeconds: number }
  /** Password hashing is at capacity: nothing was decided, retry after `waitSeconds`. */
  | { kind: 'busy'; waitSeconds: number }
  /** Wrong email or password, or a disabled user: one answer for all (no enumeration). */
  | { kind: 'refused' }
  | {
      kind: 'signed-in';
      session: SignedInSession;
      /** The new session cookie's value (never one the browser brought: no fixation). */
      cookie: string;
      policy: EffectivePolicy;
    };

/**
 * The hosted sign-in's rules: lockouts per account and per address, the password check, the new
 * session with its audit entry, and the authorization code issued on a session (RFC 6749 §4.1.2).
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly families: RefreshFamiliesService,
    private readonly limits: RateLimitService,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
    private readonly pushedRequests: PushedRequests,
  ) {}

  /**
   * Issues the code on a live session, which the application now uses (one transaction). With
   * `pushedId`, the request is that pushed request's, which it completes: undefined, and nothing
   * issued, when it was completed already or its sign-in form's time is over.
   */
  async issueCode(
    tenant: Tenant,
    r: ValidRequest,
    session: SignedInSession,
    pushedId?: string,
  ): Promise<string | undefined> {
    const policy = this.applications.policy(tenant, r.app);
    // the code keeps requested ∩ granted to the application; each minted token is further narrowed
    // to what the user holds at that moment, so a change of permissions applies at the next refresh
    const resources = r.resources;
    return this.dataSource.transaction(async (em) => {
      if (pushedId && !(await this.pushedRequests.complete(em, tenant.id, pushedId)))
        return undefined;
      await this.sessions.use(em, tenant.id, session.id, r.app.id, policy);
      return this.families.issueCode(em, {
        tenantId: tenant.id,
        applicationId: r.app.id,
        sessionId: session.id,
        userId: session.userId,
        redirectUri: r.redirectUri,
        scopes: r.scopes,
        resources,
        nonce: r.nonce ?? null,
        codeChallenge: r.codeChallenge ?? null,
        authTime: session.authTime,
      });
    });
  }

  /** A password sign-in for the application of `r`: on success, a new session. */
  async signIn(
    tenant: Tenant,
    r: ValidRequest,
    credentials: { email: string; password: string },
    client: ClientContext,
  ): Promise<SignInOutcome> {
    const { email, password } = credentials;
    // per account (known or not: a lockout must not tell which) and per client address
    const account = { name: 'signInAccount', subject: email } as const;
    const address = { name: 'signInAddress', subject: client.ip ?? 'unknown' } as const;
    const wait = await this.limits.lockedFor(tenant, [account, address]);
    if (wait > 0) {
      await this.audit.record(undefined, {
        tenantId: tenant.id,
        type: 'sign_in_throttled',
        ...client,
        detail: {},
      });
      return { kind: 'locked', waitSeconds: wait };
    }

    let user;
    try {
      // a NUL cannot be in a stored email (and PostgreSQL refuses it in text): no such user
      const found =
        email && !email.includes('\u0000') ? await this.users.byEmail(tenant.id, email) : null;
      // an unknown email costs the same argon2 work as a wrong password (no enumeration)
      const ok = await this.hasher.verify(found?.passwordHash, password);
      user = ok && found && !found.isDisabled ? found : undefined;
    } catch (err) {
      if (!(err instanceof HasherBusyError)) throw err;
      return { kind: 'busy', waitSeconds: err.retryAfterSeconds };
    }
    if (!user) {
      await this.limits.fail(tenant, account.name, account.subject);
      await this.limits.fail(tenant, address.name, address.subject);
      await this.audit.record(undefined, {
        tenantId: tenant.id,
        type: 'sign_in_failed',
        clientId: r.app.clientId,
        ...client,
        detail: {},
      });
      return { kind: 'refused' };
    }
    await this.limits.reset(tenant, account.name, account.subject);
    const policy = this.applications.policy(tenant, r.app);
    const created = await this.dataSource.transaction(async (em) => {
      const s = await this.sessions.create(em, tenant.id, user.id, policy, client);
      await this.audit.record(em, {
        tenantId: tenant.id,
        type: 'sign_in_succeeded',
        sessionId: s.sessionId,
        userId: user.id,
        clientId: r.app.clientId,
        ...client,
      });
      return s;
    });
    return {
      kind: 'signed-in',
      session: { id: created.sessionId, userId: user.id, authTime: new Date() },
      cookie: created.cookie,
      policy,
    };
  }
}
