/** A token was refused; `code` is stable for logs and metrics and never sent to the caller. */
export class TokenRejectedError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Validation is impossible right now (introspection down, feed stale): fail closed. */
export class VerifierUnavailableError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * The DPoP proof was refused (RFC 9449 §4.3), the token itself may be fine: answered
 * `error="invalid_dpop_proof"`. `code` is stable for logs and metrics and never sent to the caller.
 */
export class DpopProofRejectedError extends TokenRejectedError {}
