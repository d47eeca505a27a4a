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
