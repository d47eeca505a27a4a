// `@tessera/nest-guards/passport`: a subpath of its own, so the main entry loads without the
// optional passport peers (@nestjs/passport, passport, passport-strategy).
export { TesseraStrategy } from './passport/tessera.strategy';
