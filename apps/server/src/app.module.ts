import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdminModule } from './admin';
import { ApplicationsModule } from './applications';
import { BootstrapModule } from './bootstrap';
import { Clock } from './clock';
import { ConfigModule, type AppConfig } from './config';
import { dataSourceOptions, migrateUnderLock, NotifyBus } from './database';
import { DiscoveryModule } from './discovery';
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

@Module({})
export class AppModule {
  /** The database URL is resolved before Nest starts (the embedded server, if any, is already up). */
  static register(
    config: AppConfig,
    databaseUrl: string,
    poolMax: number,
    bus: NotifyBus,
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ClockModule,
        BusModule.register(bus),
        TypeOrmModule.forRootAsync({
          useFactory: () =>
            dataSourceOptions(
              databaseUrl,
              {
                max: poolMax,
                acquireTimeoutMs: config.databaseAcquireTimeoutMs,
                maxWaiting: config.databaseMaxWaiting,
              },
              bus.onPoolConnect as never,
            ),
          // migrations run before anything else touches the database, under an advisory lock
          dataSourceFactory: async (options) => {
            const ds = await new DataSource(options!).initialize(); // useFactory always returns options
            const ran = await migrateUnderLock(ds);
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
        LogoutModule,
        DiscoveryModule,
        AdminModule,
        BootstrapModule,
        RetentionModule,
      ],
    };
  }
}
