import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  applicationIssues,
  applicationPolicyIssues,
  applyPolicy,
  backchannelUriProblem,
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  type CreateApplicationInput,
  type ApplicationView,
  type ClientType,
  type EffectivePolicy,
  type EndedSignInsView,
  type GrantType,
  type PolicyInput,
  type PolicyIssue,
  type TokenExchangePolicy,
  type UpdateApplicationInput,
} from '@tessera/contracts';
import { AuditService } from '../audit';
import { APP_CONFIG, type AppConfig } from '../config';
import { ConfigCache, isUniqueViolation, NotifyBus } from '../database';
import { Conflict, NotFound, ValidationFailed } from '../errors';
import { ResourceServersService } from '../resource-servers';
import { RevocationService } from '../revocation';
import { randomToken, SecretsService } from '../secrets';
import { RefreshFamiliesService } from '../sessions';
import { assertPolicyOrder, tenantPolicy, type Tenant } from '../tenants';
import { Application } from './application.entity';
import { effectivePolicy, overrideColumns } from './application-policy';
import { ApplicationsRepository } from './applications.repository';
import { applicationView } from './application.view';
import { builtInClientUse } from './built-in-clients';

export interface CreatedApplication {
  application: Application;
  /** Shown once; only its hash is kept. */
  clientSecret?: string;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

@Injectable()
export class ApplicationsService {
  // a fixed random value hashed for unknown clients, so both paths do the same work (BI-01)
  private readonly dummySecret = randomToken();
  // clientId → application, for the token and introspection endpoints (invalidated on commit, by NOTIFY)
  private readonly cache: ConfigCache<Application>;

  constructor(
    private readonly repo: ApplicationsRepository,
    private readonly resourceServers: ResourceServersService,
    private readonly secrets: SecretsService,
    private readonly dataSource: DataSource,
    private readonly families: RefreshFamiliesService,
    private readonly revocation: RevocationService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    bus: NotifyBus,
  ) {
    this.cache = new ConfigCache(bus);
  }

  policy(tenant: Tenant, app: Application): EffectivePolicy {
    return effectivePolicy(tenantPolicy(tenant), app);
  }

  /** Refuses settings that contradict each other on the tenant's defaults, naming each field. */
  assertCoherent(
    tenant: Tenant,
    app: { type: ClientType; grantTypes: string[] },
    policy: PolicyInput | undefined,
  ): void {
    const issues = applicationPolicyIssues(app, applyPolicy(tenantPolicy(tenant), policy));
    if (issues.length)
      throw new ValidationFailed(
        issues.map((i) => ({ path: ['policy', i.path], detail: i.message })),
        'The settings contradict each other',
      );
  }

  /** Cached: the token endpoint reads it on every request. */
  async byClientId(tenantId: string, clientId: string): Promise<Application | null> {
    return (
      (await this.cache.get(tenantId, clientId, () => this.repo.byClientId(tenantId, clientId))) ??
      null
    );
  }

  /** Cached, and null for a disabled application: what sign-in and logout may act for. */
  async active(tenantId: string, clientId: string): Promise<Application | null> {
    const app = await this.byClientId(tenantId, clientId);
    return app && !app.isDisabled ? app : null;
  }

  byClientIdIn(em: EntityManager, tenantId: string, clientId: string): Promise<Application | null> {
    return this.repo.byClientId(tenantId, clientId, em);
  }

  /**
   * The application when the secret matches (constant-time, on its HMAC); undefined otherwise.
   * An unknown or disabled client costs the same hashing as a wrong secret.
   */
  async authenticate(
    tenantId: string,
    clientId: string,
    secret: string,
  ): Promise<Application | undefined> {
    const app = await this.active(tenantId, clientId);
    if (!app?.secretHash) {
      this.secrets.tokenHashMatches(this.dummySecret, this.secrets.tokenHash(secret));
      return undefined;
    }
    return this.secrets.tokenHashMatches(secret, app.secretHash) ? app : undefined;
  }

  async view(tenant: Tenant, app: Application): Promise<ApplicationView> {
    const rs = app.defaultResourceServerId
      ? await this.resourceServers.byId(tenant.id, app.defaultResourceServerId)
      : null;
    return applicationView(
      app,
      tenantPolicy(tenant),
      rs?.identifier ?? null,
      await this.resourceServers.grantViews(tenant.id, app.id),
      builtInClientUse(tenant.slug, app) !== undefined,
    );
  }

  async list(tenant: Tenant): Promise<ApplicationView[]> {
    return Promise.all((await this.repo.list(tenant.id)).map((a) => this.view(tenant, a)));
  }

  async require(tenant: Tenant, clientId: string, em?: EntityManager): Promise<Application> {
    const app = await this.repo.byClientId(tenant.id, clientId, em);
    if (!app) throw new NotFound('Application');
    return app;
  }

  /**
   * The longest access-token lifetime any token of this tenant can have now (tenant, applications,
   * resource servers), within the cap every minted token obeys.
   */
  async longestAccessTtl(tenant: Tenant): Promise<number> {
    const servers = await this.resourceServers.list(tenant.id);
    return Math.min(
      MAX_ACCESS_TOKEN_TTL_SECONDS,
      Math.max(
        tenant.accessTokenTtl,
        await this.repo.longestAccessTtl(tenant.id),
        ...servers.map((r) => r.accessTokenTtl ?? 0),
      ),
    );
  }

  /** Tenants without a public client of this id registered with exactly these URIs. */
  tenantsLacking(
    clientId: string,
    uris: { redirectUris: string[]; postLogoutRedirectUris: string[] },
  ): Promise<string[]> {
    return this.repo.tenantsLacking(clientId, uris);
  }

  private checkBackchannel(uri: string | null | undefined): void {
    if (!uri) return;
    const problem = backchannelUriProblem(uri, this.config.allowPrivateUris);
    if (problem) throw new ValidationFailed([{ path: ['backchannelLogoutUri'], detail: problem }]);
  }

  private async defaultResourceId(
    em: EntityManager,
    tenant: Tenant,
    identifier: string | null | undefined,
  ): Promise<string | null> {
    if (!identifier) return null;
    const rs = await this.resourceServers.byIdentifier(tenant.id, identifier, em);
    if (!rs)
      throw new ValidationFailed([
        { path: ['defaultResource'], detail: `No resource server ${identifier} in this tenant` },
      ]);
    return rs.id;
  }

  /**
   * RFC 8693 policy as stored: each target names a resource server of this tenant, not a built-in
   * one, and only scopes it defines (a typo would otherwise silently allow nothing).
   */
  private async tokenExchangePolicy(
    em: EntityManager,
    tenant: Tenant,
    policy: TokenExchangePolicy | null | undefined,
  ): Promise<TokenExchangePolicy | null> {
    if (!policy) return null;
    const issues: Array<{ path: Array<string | number>; detail: string }> = [];
    for (const [i, t] of policy.targets.entries()) {
      const rs = await this.resourceServers.byIdentifier(tenant.id, t.resourceServer, em);
      if (!rs) {
        issues.push({
          path: ['tokenExchange', 'targets', i, 'resourceServer'],
          detail: `No resource server ${t.resourceServer} in this tenant`,
        });
        continue;
      }
      // Tessera's own APIs (the user's account, the admin API, Shared Signals) act for the user
      // themselves: a service holding such a token could end their sessions, say
      if (rs.isSystem) {
        issues.push({
          path: ['tokenExchange', 'targets', i, 'resourceServer'],
          detail: `${t.resourceServer} is built in: no service exchanges a user's token for it`,
        });
        continue;
      }
      const defined = new Set(rs.scopes.map((s) => s.name));
      t.scopes.forEach((s, j) => {
        if (!defined.has(s))
          issues.push({
            path: ['tokenExchange', 'targets', i, 'scopes', j],
            detail: `Unknown scope ${s}`,
          });
      });
    }
    if (issues.length) throw new ValidationFailed(issues);
    return {
      targets: policy.targets.map((t) => ({
        resourceServer: t.resourceServer,
        scopes: [...new Set(t.scopes)].sort(),
      })),
      maxDepth: policy.maxDepth,
    };
  }

  async create(
    tenant: Tenant,
    input: CreateApplicationInput,
    em?: EntityManager,
  ): Promise<CreatedApplication> {
    this.checkBackchannel(input.backchannelLogoutUri);
    const overrides = overrideColumns(input.policy);
    assertPolicyOrder(effectivePolicy(tenantPolicy(tenant), overrides));
    const secret =
      input.type === 'confidential' ? (input.clientSecret ?? randomToken()) : undefined;
    const run = async (m: EntityManager) => {
      const clientId = input.clientId ?? `app_${randomBytes(12).toString('base64url')}`;
      const app = Object.assign(new Application(), {
        id: randomUUID(),
        tenantId: tenant.id,
        clientId,
        // a client id used before: the cut of its predecessor's tokens must not reach this one's
        tokensIssuedAfter: await this.revocation.lastClientCut(m, tenant.id, clientId),
        name: input.name,
        type: input.type,
        secretHash: secret ? this.secrets.tokenHash(secret) : null,
        redirectUris: input.redirectUris,
        postLogoutRedirectUris: input.postLogoutRedirectUris,
        backchannelLogoutUri: input.backchannelLogoutUri ?? null,
        grantTypes: [...new Set(input.grantTypes)].sort(),
        defaultResourceServerId: await this.defaultResourceId(m, tenant, input.defaultResource),
        tokenExchange: await this.tokenExchangePolicy(m, tenant, input.tokenExchange),
        ...overrides,
        requirePushedAuthorizationRequests: input.requirePushedAuthorizationRequests ?? false,
        requireDpop: input.requireDpop ?? false,
        dpopNonces: input.dpopNonces ?? false,
      });
      await this.repo.insert(m, app);
      if (input.grants) await this.resourceServers.setGrants(m, tenant.id, app.id, input.grants);
      return app;
    };
    try {
      const app = em ? await run(em) : await this.dataSource.transaction(run);
      this.cache.invalidate(tenant.id);
      // a secret the caller chose is not echoed back
      return { application: app, clientSecret: input.clientSecret ? undefined : secret };
    } catch (err) {
      if (isUniqueViolation(err))
        throw new Conflict('An application with this client id exists', [
          { path: ['clientId'], detail: 'Already taken' },
        ]);
      throw err;
    }
  }

  /** Returns whether anything changed (the bootstrap file relies on it). */
  async update(
    tenant: Tenant,
    clientId: string,
    input: UpdateApplicationInput & { clientSecret?: string },
    em?: EntityManager,
  ): Promise<boolean> {
    const run = async (m: EntityManager) => {
      const app = await this.repo.lockByClientId(m, tenant.id, clientId);
      if (!app) throw new NotFound('Application');
      const changes: Partial<Application> = {};
      if (input.name !== undefined) changes.name = input.name;
      if (input.redirectUris !== undefined) changes.redirectUris = input.redirectUris;
      if (input.postLogoutRedirectUris !== undefined)
        changes.postLogoutRedirectUris = input.postLogoutRedirectUris;
      if (input.backchannelLogoutUri !== undefined) {
        this.checkBackchannel(input.backchannelLogoutUri);
        changes.backchannelLogoutUri = input.backchannelLogoutUri;
      }
      if (input.grantTypes !== undefined) {
        const grantTypes = [...new Set(input.grantTypes)].sort();
        refuseIssues(applicationIssues({ type: app.type as ClientType, grantTypes }));
        changes.grantTypes = grantTypes;
      }
      if (input.policy !== undefined) {
        const overrides = overrideColumns(input.policy);
        assertPolicyOrder(effectivePolicy(tenantPolicy(tenant), overrides));
        Object.assign(changes, overrides);
      }
      if (input.defaultResource !== undefined)
        changes.defaultResourceServerId = await this.defaultResourceId(
          m,
          tenant,
          input.defaultResource,
        );
      if (input.tokenExchange !== undefined)
        changes.tokenExchange = await this.tokenExchangePolicy(m, tenant, input.tokenExchange);
      if (
        input.clientSecret !== undefined &&
        app.type === 'confidential' &&
        !(app.secretHash && this.secrets.tokenHashMatches(input.clientSecret, app.secretHash))
      ) {
        changes.secretHash = this.secrets.tokenHash(input.clientSecret);
      }
      // the contract's rules on what the application will be once changed (its type never changes)
      refuseIssues(
        applicationIssues({
          grantTypes: (changes.grantTypes ?? app.grantTypes) as GrantType[],
          redirectUris: changes.redirectUris ?? app.redirectUris,
        }),
      );
      if (input.isDisabled !== undefined) changes.isDisabled = input.isDisabled;
      if (input.requirePushedAuthorizationRequests !== undefined)
        changes.requirePushedAuthorizationRequests = input.requirePushedAuthorizationRequests;
      if (input.requireDpop !== undefined) changes.requireDpop = input.requireDpop;
      if (input.dpopNonces !== undefined) changes.dpopNonces = input.dpopNonces;
      const real = Object.fromEntries(
        Object.entries(changes).filter(([k, v]) => !sameJson(app[k as keyof Application], v)),
      );
      if (Object.keys(real).length) await this.repo.update(m, tenant.id, app.id, real);
      const grantsChanged = input.grants
        ? await this.resourceServers.setGrants(m, tenant.id, app.id, input.grants)
        : false;
      // disabled from now: what it holds ends with the same commit
      if (real.isDisabled === true) await this.end(m, tenant, app, 'application_disabled');
      return Object.keys(real).length > 0 || grantsChanged;
    };
    const changed = await (em ? run(em) : this.dataSource.transaction(run));
    // this instance forgets at once; the others (and this one again) when the NOTIFY of the commit arrives
    this.cache.invalidate(tenant.id);
    return changed;
  }

  async regenerateSecret(tenant: Tenant, clientId: string): Promise<string> {
    const secret = await this.dataSource.transaction(async (m) => {
      const app = await this.require(tenant, clientId, m);
      if (app.type !== 'confidential') throw new Conflict('A public client has no secret');
      const secret = randomToken();
      await this.repo.update(m, tenant.id, app.id, { secretHash: this.secrets.tokenHash(secret) });
      await this.revocation.credentialChanged(m, tenant.id, {
        sub: app.clientId,
        credentialType: 'client_secret',
        changeType: 'update',
      });
      return secret;
    });
    this.cache.invalidate(tenant.id);
    return secret;
  }

  /**
   * Deletes an application and ends everything it held first, in one transaction: its sign-ins to
   * sessions, its families and tokens (RefreshFamiliesService.endApplicationIn). It gets no back-channel
   * logout: its URI goes with it.
   */
  /** `then` runs in the same transaction, once the application is gone (what it meant elsewhere). */
  async remove(
    tenant: Tenant,
    clientId: string,
    then?: (em: EntityManager) => Promise<void>,
  ): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const app = await this.repo.lockByClientId(m, tenant.id, clientId);
      if (!app) throw new NotFound('Application');
      await this.end(m, tenant, app, 'application_deleted');
      await this.repo.remove(m, tenant.id, app.id);
      await then?.(m);
    });
    this.cache.invalidate(tenant.id);
  }

  /**
   * Revokes every token of an application (a leaked client secret: rotate it too), which stays
   * enabled: its sign-ins to sessions end (the sessions it alone was signed in to end whole), with
   * back-channel logouts; its refresh-token families and their access tokens, and the tokens it
   * obtained on its own behalf, die.
   */
  async revokeTokens(tenant: Tenant, clientId: string): Promise<EndedSignInsView> {
    const ended = await this.dataSource.transaction(async (m) => {
      // locked: a concurrent disable or delete waits, and nothing is ended twice
      const app = await this.repo.lockByClientId(m, tenant.id, clientId);
      if (!app) throw new NotFound('Application');
      return this.end(m, tenant, app, 'tokens_revoked');
    });
    // this instance mints after the cut at once, without waiting for its own NOTIFY: a token
    // stamped from the cached, uncut application would fall inside the cut
    this.cache.invalidate(tenant.id);
    return ended;
  }

  /**
   * A deleted tenant's applications: each is disabled and everything it held ends (the tenant's
   * sessions have ended already, in the same transaction).
   */
  async endAllIn(m: EntityManager, tenant: Tenant): Promise<void> {
    for (const app of await this.repo.lockAll(m, tenant.id)) {
      await this.repo.update(m, tenant.id, app.id, { isDisabled: true });
      await this.families.endApplicationIn(m, tenant.id, app, 'tenant_deleted');
    }
    this.cache.invalidate(tenant.id);
  }

  private async end(
    m: EntityManager,
    tenant: Tenant,
    app: Application,
    reason: 'application_deleted' | 'application_disabled' | 'tokens_revoked',
  ): Promise<EndedSignInsView> {
    const ended = await this.families.endApplicationIn(m, tenant.id, app, reason);
    if (reason !== 'application_deleted') await this.repo.stampTokensAfterCut(m, tenant.id, app.id);
    await this.audit.record(m, {
      tenantId: tenant.id,
      type: reason === 'tokens_revoked' ? 'application_tokens_revoked' : reason,
      clientId: app.clientId,
      detail: { ...ended },
    });
    return ended;
  }
}

/** The contract's application rules, refused as the admin API refuses a body: a path per issue. */
function refuseIssues(issues: PolicyIssue[]): void {
  if (issues.length)
    throw new ValidationFailed(issues.map((i) => ({ path: [i.path], detail: i.message })));
}
