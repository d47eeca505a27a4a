/** CAEP 1.0 §3 event types Tessera transmits, and SSF 1.0 §8.1.4's verification event. */
export const SESSION_REVOKED =
  'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';
export const TOKEN_CLAIMS_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/token-claims-change';
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** What a stream may request (`events_supported`); verification events are sent whatever it asks. */
export const SSF_EVENTS_SUPPORTED = [SESSION_REVOKED, CREDENTIAL_CHANGE, TOKEN_CLAIMS_CHANGE];
