export { SignInModule } from './sign-in.module';
export { SESSION_COOKIE } from './cookies';
