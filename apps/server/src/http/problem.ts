/** Stable codes of the admin API's RFC 9457 problems; one mapper turns them into statuses. */
export type ProblemCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal';

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

export class Problem extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${detail}`);
  }

  static validation(errors: FieldProblem[], detail = 'The request body is not valid'): Problem {
    return new Problem('validation_failed', detail, errors);
  }

  static notFound(what: string): Problem {
    return new Problem('not_found', `${what} not found`);
  }

  body(): Record<string, unknown> {
    return {
      type: 'about:blank',
      status: statusOf(this.code),
      code: this.code,
      detail: this.detail,
      ...(this.errors.length ? { errors: this.errors } : {}),
    };
  }
}
