/** Where a field sits in what the caller sent: `['policy', 'accessTokenTtl']`, `['grants', 0]`. */
export type FieldPath = ReadonlyArray<string | number>;

export interface FieldError {
  path: FieldPath;
  detail: string;
}

/**
 * What a service refuses, as a code; the edge alone turns each code into a status and a body
 * (RFC 9457 problem details), so a service never decides how its refusal is spelled on the wire.
 */
export type DomainErrorCode =
  'validation_failed' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;

  constructor(
    /** Written for the administrator reading it: it is answered as is. */
    readonly detail: string,
    readonly fields: readonly FieldError[] = [],
  ) {
    super(detail);
  }
}

/** The input breaks a rule; each field names what is wrong with it. */
export class ValidationFailed extends DomainError {
  readonly code = 'validation_failed';

  constructor(fields: readonly FieldError[], detail = 'The request body is not valid') {
    super(detail, fields);
  }
}

export class NotFound extends DomainError {
  readonly code = 'not_found';

  constructor(what: string) {
    super(`${what} not found`);
  }
}

/** The state of what exists forbids it (taken, or not yet possible: then `retryAfterSeconds`). */
export class Conflict extends DomainError {
  readonly code = 'conflict';

  constructor(
    detail: string,
    fields: readonly FieldError[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(detail, fields);
  }
}

export class Forbidden extends DomainError {
  readonly code = 'forbidden';
}

export class Unauthenticated extends DomainError {
  readonly code = 'unauthenticated';
}
