import 'reflect-metadata';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { NotifyBus, resolveDatabase } from '../../src/database';
import { createLogger, PinoNestLogger } from '../../src/http';
import {
  createApplicationSchema,
  createUserSchema,
  type EffectivePolicy,
} from '@tessera/contracts';
import { ApplicationsService, type Application } from '../../src/applications';
import { SecretsService } from '../../src/secrets';
import { RefreshFamiliesService, SessionsService, type RedeemedFamily } from '../../src/sessions';
import { TenantsService, type Tenant } from '../../src/tenants';
import { UsersService, type User } from '../../src/users';
import { createTestDatabase, type TestDatabase } from '../../../../test-setup/test-database';
import { LogSink, testConfig, unique } from './harness';

/**
 * The service tier (`*.db-spec.ts`): the whole application module on a test database of its own,
 * the same copy of the migrated template the end-to-end tests get, started without an HTTP
 * listener. A test takes the service it exercises and reads the rows it wrote.
 */
export interface TestServices {
  /** A provider of the application, as the module under test injects it. */
  get<T>(type: Type<T>): T;
  /** Runs SQL on the test database, to check the rows behind what a service answered. */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `work` in one transaction, as a service operation would. */
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
  readonly logs: LogSink;
  given: {
    /** A tenant with its first signing keys and a unique slug. */
    tenant(): Promise<Tenant>;
    user(tenant: Tenant, body?: Record<string, unknown>): Promise<User>;
    /** A confidential client for the authorization code flow; `body` as the admin API takes it. */
    app(tenant: Tenant, body?: Record<string, unknown>): Promise<Application>;
    /**
     * A user signed in to an application: a session, a code issued and redeemed, a refresh-token
     * family with its first token, as the sign-in and token endpoints make them.
     */
    signedIn(tenant: Tenant, o?: { policy?: Partial<EffectivePolicy> }): Promise<SignedInUser>;
  };
}

export interface SignedInUser {
  user: User;
  app: Application;
  policy: EffectivePolicy;
  sessionId: string;
  /** The authorization code the family came from (redeemed already). */
  code: string;
  family: RedeemedFamily & { refreshToken: string };
}

const CLIENT = { ip: '203.0.113.7', userAgent: 'db-spec' };

/** One application context and one database for the test file: started in beforeAll, closed in afterAll. */
export function useTestServices(opts: { env?: Record<string, string> } = {}): TestServices {
  let db: TestDatabase | undefined;
  let app: INestApplicationContext | undefined;
  let bus: NotifyBus | undefined;
  let stopDatabase: (() => Promise<void>) | undefined;
  const logs = new LogSink();

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = testConfig(db.url, opts.env);
    const resolved = await resolveDatabase(config);
    stopDatabase = resolved.stop;
    bus = new NotifyBus(resolved.sessionUrl);
    app = await NestFactory.createApplicationContext(AppModule.register(config, resolved, bus), {
      logger: new PinoNestLogger(createLogger(config.logLevel, logs)),
      abortOnError: false, // throw to the test, never process.exit
    });
    // what the server does before it serves: the HMAC keys, then the notifications
    await app.get(SecretsService).load(resolved.embedded);
    await bus.start();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await bus?.stop();
    await stopDatabase?.();
    await db?.drop();
  });

  const started = () => {
    if (!app) throw new Error('useTestServices: the services start in beforeAll');
    return app;
  };
  const services: TestServices = {
    get: (type) => started().get(type),
    // through the application's own pool: on the embedded database a second connection could interleave
    sql: (text, params) =>
      started()
        .get(DataSource)
        .query(text, params as unknown[]),
    transaction: (work) => started().get(DataSource).transaction(work),
    logs,
    given: {
      tenant: () =>
        started()
          .get(TenantsService)
          .create({
            slug: unique('t').toLowerCase(),
            name: `Tenant ${randomUUID()}`,
            signingAlg: 'ES256',
          }),
      user: (tenant, body = {}) =>
        started()
          .get(UsersService)
          .createOne(
            tenant.id,
            createUserSchema.parse({
              email: `${unique('u')}@tessera.test`,
              password: 'a password for tests',
              ...body,
            }),
          ),
      app: async (tenant, body = {}) =>
        (
          await started()
            .get(ApplicationsService)
            .create(
              tenant,
              createApplicationSchema.parse({
                name: unique('app'),
                type: 'confidential',
                redirectUris: ['https://app.example/callback'],
                grantTypes: ['authorization_code', 'refresh_token'],
                ...body,
              }),
            )
        ).application,
      signedIn: async (tenant, o = {}) => {
        const user = await services.given.user(tenant);
        const app = await services.given.app(tenant);
        const policy = {
          ...started().get(ApplicationsService).policy(tenant, app),
          ...o.policy,
        };
        const grants = started().get(RefreshFamiliesService);
        const { sessionId, code } = await services.transaction(async (em) => {
          const { sessionId } = await started()
            .get(SessionsService)
            .create(em, tenant.id, user.id, policy, CLIENT);
          const code = await grants.issueCode(em, {
            tenantId: tenant.id,
            applicationId: app.id,
            sessionId,
            userId: user.id,
            redirectUri: app.redirectUris[0],
            scopes: ['openid'],
            resources: [],
            nonce: null,
            codeChallenge: null,
            authTime: new Date(),
          });
          return { sessionId, code };
        });
        const { family } = await grants.redeemCode(tenant.id, app, {
          code,
          redirectUri: app.redirectUris[0],
          codeVerifier: undefined,
          policy,
          withRefresh: () => true,
          client: CLIENT,
          select: (granted) => granted,
          dpopJkt: null,
        });
        if (!family.refreshToken) throw new Error('signedIn: the code gave no refresh token');
        return {
          user,
          app,
          policy,
          sessionId,
          code,
          family: { ...family, refreshToken: family.refreshToken },
        };
      },
    },
  };
  return services;
}
