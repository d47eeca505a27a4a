export { SecretsService } from './secrets.service';
export { randomToken, digestsEqual } from './crypto';
export { SecretsModule } from './secrets.module';
