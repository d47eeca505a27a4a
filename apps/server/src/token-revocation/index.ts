export { TokenRevocationModule } from './token-revocation.module';
