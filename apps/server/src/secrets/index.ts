export { SecretsService } from './secrets.service';
export { randomToken, digestsEqual } from './crypto';
export { SecretsModule, SECRETS_ENTITIES } from './secrets.module';
