import { ipBytes, specialPurposeRange } from './ip-ranges';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function parse(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost') || /^127\./.test(hostname);
}

/**
 * Loopback and localhost names, and every address literal a server-side request must not reach
 * (see specialPurposeRange). A name that only resolves to such an address passes here: the
 * back-channel sender checks the resolved addresses when it sends.
 */
export function isPrivateHost(hostname: string): boolean {
  if (isLoopbackHost(hostname)) return true;
  return ipBytes(hostname) !== undefined && specialPurposeRange(hostname) !== undefined;
}

/**
 * Why a redirect (or post-logout redirect) URI cannot be registered, or undefined when it can.
 * RFC 9700 §2.1/§2.6: https, http only on loopback for native apps, or a private-use scheme; no fragment.
 */
export function redirectUriProblem(value: string): string | undefined {
  const url = parse(value);
  if (!url) return 'Must be an absolute URI';
  if (value.includes('#')) return 'Must not contain a fragment (#)';
  if (url.username || url.password) return 'Must not contain user information (user@host)';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:')
    return isLoopbackHost(url.hostname)
      ? undefined
      : 'Use https (http is only allowed on loopback addresses)';
  // RFC 8252 §7.1: private-use schemes are reverse domain names, e.g. com.example.app:/cb
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/i.test(url.protocol)) return undefined;
  return 'Use https, http on a loopback address, or a private-use scheme such as com.example.app:/callback';
}

/** Why a back-channel logout URI cannot be registered (OIDC Back-Channel Logout 1.0 §2.2). */
export function backchannelUriProblem(value: string, allowPrivate: boolean): string | undefined {
  const url = parse(value);
  if (!url) return 'Must be an absolute URI';
  if (value.includes('#')) return 'Must not contain a fragment (#)';
  if (url.username || url.password) return 'Must not contain user information (user@host)';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'Use https';
  const isPrivate = isPrivateHost(url.hostname);
  if (isPrivate && !allowPrivate)
    return 'Loopback, private and link-local addresses are not allowed';
  if (url.protocol === 'http:' && !(isPrivate && allowPrivate)) return 'Use https';
  return undefined;
}

/** RFC 8707 §2: an absolute URI without a fragment. */
export function resourceIndicatorProblem(value: string): string | undefined {
  const url = parse(value);
  if (!url) return 'Must be an absolute URI';
  if (value.includes('#')) return 'Must not contain a fragment (#)';
  return undefined;
}
