/**
 * RFC 6749 §5.2 errors. The public description is generic; `detail` goes to the log only.
 */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${error}${detail ? `: ${detail}` : ''}`);
  }
}

type Opts = { detail?: string; description?: string };

export class InvalidRequest extends OAuthError {
  constructor(o: Opts = {}) {
    super(
      400,
      'invalid_request',
      o.description ?? 'The request is missing a parameter or is malformed',
      o.detail,
    );
  }
}

export class InvalidClient extends OAuthError {
  /** RFC 6749 §5.2: 401, with a Basic challenge when the client tried the Authorization header. */
  constructor(o: Opts & { usedBasic?: boolean } = {}) {
    super(
      401,
      'invalid_client',
      'Client authentication failed',
      o.detail,
      o.usedBasic === false ? {} : { 'WWW-Authenticate': 'Basic realm="tessera", charset="UTF-8"' },
    );
  }
}

export class InvalidGrant extends OAuthError {
  constructor(o: Opts = {}) {
    super(400, 'invalid_grant', 'The grant is invalid or expired', o.detail);
  }
}

export class UnauthorizedClient extends OAuthError {
  constructor(o: Opts = {}) {
    super(
      400,
      'unauthorized_client',
      o.description ?? 'The client is not allowed to use this grant type',
      o.detail,
    );
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor(o: Opts = {}) {
    super(400, 'unsupported_grant_type', 'The grant type is not supported', o.detail);
  }
}

export class InvalidScope extends OAuthError {
  constructor(o: Opts = {}) {
    super(
      400,
      'invalid_scope',
      o.description ?? 'The requested scope is invalid or not granted',
      o.detail,
    );
  }
}

/** RFC 8707 §2. */
export class InvalidTarget extends OAuthError {
  constructor(o: Opts = {}) {
    super(
      400,
      'invalid_target',
      o.description ?? 'The requested resource is invalid, unknown or not granted',
      o.detail,
    );
  }
}

export class TemporarilyUnavailable extends OAuthError {
  constructor(o: Opts = {}) {
    super(
      503,
      'temporarily_unavailable',
      'The service is temporarily unavailable; retry later',
      o.detail,
      { 'Retry-After': '5' },
    );
  }
}
