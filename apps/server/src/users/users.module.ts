import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { SessionsModule } from '../sessions';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [SessionsModule, AuditModule],
  providers: [PasswordHasher, UsersRepository, UsersService],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
