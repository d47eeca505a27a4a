export { KeysModule } from './keys.module';
export { KeysService, type Jwk, type KeyView } from './keys.service';
export type { Signer, SigningAlg } from './jwt';
