import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { SessionsModule } from '../sessions';
import { ResourceServersModule } from '../resource-servers';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [SessionsModule, AuditModule, ResourceServersModule],
  providers: [PasswordHasher, UsersRepository, UsersService],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
