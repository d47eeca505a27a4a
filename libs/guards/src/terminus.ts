// `@tessera/nest-guards/terminus`: a subpath of its own, so the main entry loads without the
// optional @nestjs/terminus peer.
export { TesseraHealthIndicator } from './health/tessera.health';
