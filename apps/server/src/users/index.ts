export { UsersModule, USERS_ENTITIES } from './users.module';
export { UsersService, userView } from './users.service';
export { PasswordHasher, HasherBusyError } from './password-hasher';
export { User } from './user.entity';
