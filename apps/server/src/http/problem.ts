import { DomainError, type DomainErrorCode, type FieldPath } from '../errors';

/**
 * The `code` of the admin API's RFC 9457 problems: every domain error code, and what only the
 * edge decides (the body is too large, the database is out, a bug).
 */
export type ProblemCode = DomainErrorCode | 'payload_too_large' | 'unavailable' | 'internal';

export interface FieldProblem {
  /** JSON pointer into the request body, e.g. /policy/accessTokenTtl */
  pointer: string;
  detail: string;
}

export function statusOf(code: ProblemCode): number {
  switch (code) {
    case 'validation_failed':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
  }
}

/** RFC 6901: `~` and `/` inside a segment are escaped. */
export function pointerOf(path: FieldPath): string {
  return '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function pathOfPointer(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The RFC 9457 body: `errors` only when fields are named. */
export function problemBody(
  code: ProblemCode,
  detail: string,
  errors: readonly FieldProblem[] = [],
): Record<string, unknown> {
  return {
    type: 'about:blank',
    status: statusOf(code),
    code,
    detail,
    ...(errors.length ? { errors } : {}),
  };
}

/**
 * @deprecated Throw the domain errors of `../errors` (`ValidationFailed`, `NotFound`, `Conflict`…)
 * with field paths; this spelling, with JSON pointers, remains only until resource-servers/ moves.
 */
export class Problem extends DomainError {
  constructor(
    readonly code: DomainErrorCode,
    detail: string,
    errors: FieldProblem[] = [],
  ) {
    super(
      detail,
      errors.map((e) => ({ path: pathOfPointer(e.pointer), detail: e.detail })),
    );
  }

  static validation(errors: FieldProblem[], detail = 'The request body is not valid'): Problem {
    return new Problem('validation_failed', detail, errors);
  }

  static notFound(what: string): Problem {
    return new Problem('not_found', `${what} not found`);
  }
}
