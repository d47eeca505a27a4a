import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  providers: [PasswordHasher, UsersRepository, UsersService],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
