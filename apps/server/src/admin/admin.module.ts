import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { KeysModule } from '../keys';
import { ResourceServersModule } from '../resource-servers';
import { TenantsModule } from '../tenants';
import { UsersModule } from '../users';
import { AdminTenantGuard } from './admin-auth.guard';
import { TesseraAuthModule, VerifierUnavailableError } from '@tessera/nest-guards';
import { isUnavailable } from '../database';
import { ADMIN_API_AUDIENCE } from './admin-scopes';
import { APP_CONFIG, type AppConfig } from '../config';
import { IntrospectionModule, TokenInspector } from '../introspection';
import { KeysService } from '../keys';
import { SYSTEM_TENANT, TenantsService } from '../tenants';
import { SessionsModule } from '../sessions';
import { AdminDocsController } from './docs.controller';
import { ADMIN_CONTROLLERS } from './admin-controllers';
import { AuditModule } from '../audit';
import { RevocationModule } from '../revocation';
import { SystemSetup } from './system-setup.service';
import { AdminRoles } from './admin-roles.service';
import { AdminApplications } from './admin-applications.service';
import { AdminStats } from './admin-stats.service';
import { TenantAccessService } from './tenant-access.service';
import { TenantAdminsRepository } from './tenant-admins.repository';
import { TenantBuiltIns } from './tenant-built-ins.service';
import { TenantAdmin } from './tenant-admin.entity';
import { TenantRemoval } from './tenant-removal.service';
import { AdminAudit } from './admin-audit.service';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const ADMIN_ENTITIES = [TenantAdmin];

@Module({
  imports: [
    TenantsModule,
    KeysModule,
    ApplicationsModule,
    ResourceServersModule,
    UsersModule,
    SessionsModule,
    AuditModule,
    RevocationModule,
    // the admin API is protected by the same guard library services use, for every tenant's issuer:
    // a tenant's administrators are its own users and sign in there. Keys come from this process
    // (only the issuing tenant's keys verify its tokens) and revocation is checked against the
    // sessions themselves, no HTTP round trip.
    TesseraAuthModule.forRootAsync({
      global: false,
      imports: [TenantsModule, KeysModule, IntrospectionModule],
      inject: [APP_CONFIG, TenantsService, KeysService, TokenInspector],
      useFactory: (
        config: AppConfig,
        tenants: TenantsService,
        keys: KeysService,
        inspector: TokenInspector,
      ) => {
        const issuing = async (iss: unknown) => {
          const t = typeof iss === 'string' ? await tenants.byIssuer(iss) : null;
          if (!t) throw new Error('unknown issuer');
          return t;
        };
        return {
          issuer: `${config.publicUrl}/t/${SYSTEM_TENANT}`,
          acceptIssuer: (iss: string) => tenants.slugOfIssuer(iss) !== undefined,
          audience: ADMIN_API_AUDIENCE,
          mode: 'jwt' as const,
          clockToleranceSeconds: 30,
          keyResolver: async (header, iss) => {
            let found;
            try {
              found = header.kid
                ? await keys.verificationKey((await issuing(iss)).id, header.kid)
                : undefined;
            } catch (err) {
              // the keys could not be read now (the database busy or away): no verdict on the
              // token, so 503 + Retry-After rather than a 401 that tells the caller to drop it
              if (isUnavailable(err)) throw new VerifierUnavailableError('ERR_KEYS_UNAVAILABLE');
              throw err;
            }
            if (!found || found.alg !== header.alg) throw new Error('unknown key');
            return found.key;
          },
          // sessions, families and jtis, checked where they live; a tenant gone since is no issuer
          isRevoked: async (claims) => {
            const t = await tenants.byIssuer(String(claims.iss));
            return !t || inspector.isRevoked(t.id, claims);
          },
        };
      },
    }),
  ],
  controllers: [...ADMIN_CONTROLLERS, AdminDocsController],
  providers: [
    AdminTenantGuard,
    TenantAccessService,
    TenantAdminsRepository,
    TenantRemoval,
    SystemSetup,
    AdminRoles,
    AdminApplications,
    AdminStats,
    TenantBuiltIns,
    AdminAudit,
  ],
  exports: [SystemSetup, TenantAccessService, AdminRoles, TenantBuiltIns],
})
export class AdminModule {}
