import { Module } from '@nestjs/common';
import { KeysModule } from '../keys';
import { SessionsModule } from '../sessions';
import { TenantsModule } from '../tenants';
import { TokensModule } from '../tokens';
import { IntrospectionController } from './introspection.controller';
import { TokenInspector } from './token-inspector';

@Module({
  imports: [TenantsModule, KeysModule, TokensModule, SessionsModule],
  controllers: [IntrospectionController],
  providers: [TokenInspector],
  exports: [TokenInspector],
})
export class IntrospectionModule {}
