import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { SessionsModule } from '../sessions';
import { ResourceServersModule } from '../resource-servers';
import { RevocationModule } from '../revocation';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';
import { User } from './user.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const USERS_ENTITIES = [User];

@Module({
  imports: [SessionsModule, AuditModule, ResourceServersModule, RevocationModule],
  providers: [PasswordHasher, UsersRepository, UsersService],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
