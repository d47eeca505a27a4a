export {
  DomainError,
  ValidationFailed,
  NotFound,
  Conflict,
  Forbidden,
  Unauthenticated,
  type DomainErrorCode,
  type FieldError,
  type FieldPath,
} from './domain-errors';
export * from './oauth-errors';
