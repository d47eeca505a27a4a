/**
 * The errors of the OAuth and OpenID Connect endpoints, one class per error the specifications name
 * (RFC 6749 §5.2, RFC 6750 §3.1, RFC 8707 §2). The description is public and generic; `detail` goes
 * to the log only. The edge maps each code to its status, wire `error` and headers.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'temporarily_unavailable'
  | 'too_many_requests'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'missing_token'
  | 'unknown_issuer'
  | 'method_not_allowed'
  | 'unsupported_response_type'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

type Opts = { detail?: string; description?: string };

export abstract class OAuthError extends Error {
  abstract readonly code: OAuthErrorCode;

  constructor(
    readonly description: string,
    readonly detail?: string,
  ) {
    super(`${description}${detail ? `: ${detail}` : ''}`);
  }
}

export class InvalidRequest extends OAuthError {
  readonly code = 'invalid_request';

  constructor(o: Opts = {}) {
    super(o.description ?? 'The request is missing a parameter or is malformed', o.detail);
  }
}

export class InvalidClient extends OAuthError {
  readonly code = 'invalid_client';
  /** RFC 6749 §5.2: a Basic challenge unless the client did not try the Authorization header. */
  readonly usedBasic: boolean;

  constructor(o: Opts & { usedBasic?: boolean } = {}) {
    super('Client authentication failed', o.detail);
    this.usedBasic = o.usedBasic !== false;
  }
}

export class InvalidGrant extends OAuthError {
  readonly code = 'invalid_grant';

  constructor(o: Opts = {}) {
    super('The grant is invalid or expired', o.detail);
  }
}

export class UnauthorizedClient extends OAuthError {
  readonly code = 'unauthorized_client';

  constructor(o: Opts = {}) {
    super(o.description ?? 'The client is not allowed to use this grant type', o.detail);
  }
}

export class UnsupportedGrantType extends OAuthError {
  readonly code = 'unsupported_grant_type';

  constructor(o: Opts = {}) {
    super('The grant type is not supported', o.detail);
  }
}

export class InvalidScope extends OAuthError {
  readonly code = 'invalid_scope';

  constructor(o: Opts = {}) {
    super(o.description ?? 'The requested scope is invalid or not granted', o.detail);
  }
}

/** RFC 8707 §2. */
export class InvalidTarget extends OAuthError {
  readonly code = 'invalid_target';

  constructor(o: Opts = {}) {
    super(o.description ?? 'The requested resource is invalid, unknown or not granted', o.detail);
  }
}

export class TemporarilyUnavailable extends OAuthError {
  readonly code = 'temporarily_unavailable';

  constructor(o: Opts = {}) {
    super('The service is temporarily unavailable; retry later', o.detail);
  }
}

/** RFC 6585 §4: a limit was reached; answered in the RFC 6749 §5.2 shape with Retry-After. */
export class TooManyRequests extends OAuthError {
  readonly code = 'too_many_requests';

  constructor(
    readonly waitSeconds: number,
    detail: string,
  ) {
    super('Too many requests; retry later', detail);
  }
}

/** RFC 6750 §3.1: the access token is expired, revoked, malformed or not meant for this API. */
export class InvalidToken extends OAuthError {
  readonly code = 'invalid_token';

  constructor(o: Opts = {}) {
    super('The access token is invalid', o.detail);
  }
}

/** RFC 6750 §3.1: the token is good but lacks `scope`, which the challenge names. */
export class InsufficientScope extends OAuthError {
  readonly code = 'insufficient_scope';

  constructor(
    readonly scope: string,
    o: Opts = {},
  ) {
    super('The access token lacks a scope', o.detail);
  }
}

/** RFC 6750 §3.1: no credentials at all, so the challenge carries no error code. */
export class MissingToken extends OAuthError {
  readonly code = 'missing_token';

  constructor(o: Opts = {}) {
    super('An access token is required', o.detail);
  }
}

/** The issuer in the path names no tenant. */
export class UnknownIssuer extends OAuthError {
  readonly code = 'unknown_issuer';

  constructor(o: Opts = {}) {
    super('Unknown issuer', o.detail);
  }
}

/** The endpoint takes POST only (RFC 9110 §15.5.6 wants the Allow header). */
export class MethodNotAllowed extends OAuthError {
  readonly code = 'method_not_allowed';

  constructor(
    readonly allow: string,
    o: Opts = {},
  ) {
    super(`Use ${allow}`, o.detail);
  }
}

/** RFC 6749 §4.1.2.1, answered by the pushed authorization request endpoint (RFC 9126 §2.3). */
export class UnsupportedResponseType extends OAuthError {
  readonly code = 'unsupported_response_type';

  constructor(o: Opts = {}) {
    super(o.description ?? 'The response type is not supported', o.detail);
  }
}

/** RFC 9449 §5: the DPoP proof of a token request is missing where required, or invalid. */
export class InvalidDpopProof extends OAuthError {
  readonly code = 'invalid_dpop_proof';

  constructor(o: Opts = {}) {
    super(o.description ?? 'The DPoP proof is invalid', o.detail);
  }
}

/** RFC 9449 §8: the proof must carry a nonce this server issued; the answer gives a fresh one. */
export class UseDpopNonce extends OAuthError {
  readonly code = 'use_dpop_nonce';

  constructor(
    readonly nonce: string,
    o: Opts = {},
  ) {
    super('Use the DPoP nonce the server provides', o.detail);
  }
}

/** Every OAuth error there is: the edge's switch over `code` narrows to the class. */
export type AnyOAuthError =
  | InvalidRequest
  | InvalidClient
  | InvalidGrant
  | UnauthorizedClient
  | UnsupportedGrantType
  | InvalidScope
  | InvalidTarget
  | TemporarilyUnavailable
  | TooManyRequests
  | InvalidToken
  | InsufficientScope
  | MissingToken
  | UnknownIssuer
  | MethodNotAllowed
  | UnsupportedResponseType
  | InvalidDpopProof
  | UseDpopNonce;
