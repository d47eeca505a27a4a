import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdminModule } from './admin';
import { ApplicationsModule } from './applications';
import { BootstrapModule } from './bootstrap';
import { Clock } from './clock';
import { ConfigModule, type AppConfig } from './config';
import {
  dataSourceOptions,
  migrateUnderLock,
  NotifyBus,
  ReadRouter,
  type ResolvedDatabase,
} from './database';
import { DiscoveryModule } from './discovery';
import { ENTITIES } from './entities';
import { HealthModule } from './health';
import { KeysModule } from './keys';
import { ResourceServersModule } from './resource-servers';
import { SecretsModule } from './secrets';
import { TenantsModule } from './tenants';
import { TokensModule } from './tokens';
import { UsersModule } from './users';
import { SessionsModule } from './sessions';
import { SignInModule } from './sign-in';
import { IntrospectionModule } from './introspection';
import { LogoutModule } from './logout';
import { RevocationModule } from './revocation';
import { AuditModule } from './audit';
import { MetricsModule } from './metrics';
import { RetentionModule } from './retention';
import { TokenRevocationModule } from './token-revocation';
import { SharedSignalsModule } from './shared-signals';
import { Global } from '@nestjs/common';

@Global()
@Module({ providers: [Clock], exports: [Clock] })
class ClockModule {}

@Global()
@Module({})
class BusModule {
  static register(bus: NotifyBus): DynamicModule {
    return {
      module: BusModule,
      providers: [{ provide: NotifyBus, useValue: bus }],
      exports: [NotifyBus],
    };
  }
}

/**
 * Where reads that may lag go: the replica (DATABASE_READ_URL) while it is caught up, else the
 * primary. Without DATABASE_READ_URL every read goes to the primary.
 */
@Global()
@Module({})
class ReadModule {
  static register(config: AppConfig, isPooled: boolean): DynamicModule {
    return {
      module: ReadModule,
      providers: [
        {
          provide: ReadRouter,
          inject: [DataSource, NotifyBus],
          useFactory: async (primary: DataSource, bus: NotifyBus) => {
            const url = config.databaseReadUrl;
            const replica = url
              ? await new DataSource(
                  dataSourceOptions(
                    url,
                    {
                      max: config.databasePoolMax,
                      acquireTimeoutMs: Math.min(
                        config.databaseAcquireTimeoutMs,
                        config.requestDeadlineMs,
                      ),
                      maxWaiting: config.databaseMaxWaiting,
                      statementTimeoutMs: config.databaseStatementTimeoutMs,
                      lockTimeoutMs: config.databaseLockTimeoutMs,
                    },
                    undefined,
                    { isPooled, entities: ENTITIES },
                  ),
                ).initialize()
              : undefined;
            return new ReadRouter(primary, replica, bus);
          },
        },
      ],
      exports: [ReadRouter],
    };
  }
}

@Module({})
export class AppModule {
  /** The database URL is resolved before Nest starts (the embedded server, if any, is already up). */
  static register(
    config: AppConfig,
    db: Pick<ResolvedDatabase, 'url' | 'sessionUrl' | 'isPooled' | 'poolMax' | 'embedded'>,
    bus: NotifyBus,
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ClockModule,
        BusModule.register(bus),
        ReadModule.register(config, db.isPooled),
        TypeOrmModule.forRootAsync({
          useFactory: () =>
            dataSourceOptions(
              db.url,
              {
                max: db.poolMax,
                // a request never waits for a connection past its deadline
                acquireTimeoutMs: Math.min(
                  config.databaseAcquireTimeoutMs,
                  config.requestDeadlineMs,
                ),
                maxWaiting: config.databaseMaxWaiting,
                // the embedded database runs one statement at a time for every connection: one
                // queued behind a long one is waiting, not stalled, and no link can hang
                statementTimeoutMs: db.embedded ? 0 : config.databaseStatementTimeoutMs,
                lockTimeoutMs: config.databaseLockTimeoutMs,
              },
              bus.onPoolConnect as never,
              { isPooled: db.isPooled, entities: ENTITIES },
            ),
          // migrations run before anything else touches the database, under an advisory lock
          dataSourceFactory: async (options) => {
            const ds = await new DataSource(options!).initialize(); // useFactory always returns options
            const ran = await migrateOnSession(ds, db);
            // instances starting together: one applies, the others log that nothing was pending
            new Logger('Database').log(
              ran.length ? `applied migrations: ${ran.join(', ')}` : 'no pending migrations',
            );
            return ds;
          },
        }),
        MetricsModule,
        SecretsModule,
        HealthModule,
        KeysModule,
        TenantsModule,
        ResourceServersModule,
        ApplicationsModule,
        UsersModule,
        AuditModule,
        SessionsModule,
        TokensModule,
        SignInModule,
        RevocationModule,
        IntrospectionModule,
        TokenRevocationModule,
        LogoutModule,
        DiscoveryModule,
        AdminModule,
        BootstrapModule,
        RetentionModule,
        SharedSignalsModule,
      ],
    };
  }
}

/**
 * The migrations hold a session advisory lock across statements: behind a transaction-mode pooler
 * they run over a connection of their own to the server itself (DATABASE_DIRECT_URL).
 */
async function migrateOnSession(
  ds: DataSource,
  db: Pick<ResolvedDatabase, 'url' | 'sessionUrl' | 'isPooled'>,
): Promise<string[]> {
  if (!db.isPooled) return migrateUnderLock(ds);
  const direct = await new DataSource(dataSourceOptions(db.sessionUrl, 1)).initialize();
  try {
    return await migrateUnderLock(direct);
  } finally {
    await direct.destroy();
  }
}
