import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { IntrospectionModule } from '../introspection';
import { KeysModule } from '../keys';
import { RevocationModule } from '../revocation';
import { SessionsModule } from '../sessions';
import { TenantsModule } from '../tenants';
import { AccountController } from './account.controller';
import { BackchannelWorker } from './backchannel.worker';
import { EndSessionController } from './end-session.controller';

@Module({
  imports: [
    TenantsModule,
    ApplicationsModule,
    KeysModule,
    SessionsModule,
    IntrospectionModule,
    RevocationModule,
  ],
  controllers: [EndSessionController, AccountController],
  providers: [BackchannelWorker],
  exports: [BackchannelWorker],
})
export class LogoutModule {}
