export { KeysModule, KEYS_ENTITIES } from './keys.module';
export {
  KeysService,
  RotationTooEarlyError,
  MIN_PUBLISHED_S,
  type Jwk,
  type KeyView,
} from './keys.service';
export type { Signer, SigningAlg } from './jwt';
