import { specialPurposeRange } from '@tessera/contracts';
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

export interface SendOptions {
  /** TESSERA_ALLOW_PRIVATE_URIS: loopback and private targets are called (development only). */
  allowPrivate: boolean;
  /** The whole send: name resolution, connection, answer. */
  timeoutMs: number;
  /** At most this much of the answer is read; then the connection is closed. */
  maxBodyBytes: number;
}

/** How a send ended. `detail` is for the operator's log, never for the tenant's administrators. */
export type SendOutcome =
  | { kind: 'answered'; status: number }
  | { kind: 'refused'; detail: string }
  | { kind: 'unreachable'; detail: string }
  | { kind: 'timeout' };

/** How a send ended, for the operator's log. */
export function describeOutcome(sent: SendOutcome): string {
  if (sent.kind === 'answered') return `HTTP ${sent.status}`;
  if (sent.kind === 'timeout') return 'timeout';
  return `${sent.kind}: ${sent.detail}`;
}

/**
 * What a tenant's administrators see of a failed delivery: the status class of an answer, or that
 * there was none. Why there was none (refused address, no such name, connection refused, timeout)
 * and which port would make this a scanner of whatever the server can reach: that stays in the log.
 */
export function shownError(sent: SendOutcome): string {
  return sent.kind === 'answered'
    ? `delivery failed: HTTP ${Math.floor(sent.status / 100)}xx`
    : 'delivery failed: no HTTP response';
}

/**
 * A lookup that answers the addresses already resolved and checked, whatever name it is asked:
 * the connection goes to an address that passed the check, never to a second answer of the name
 * (DNS rebinding). The URL keeps its host, so the Host header and TLS (SNI, the certificate's
 * name) are still the original name's.
 */
export function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  };
}

function withDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A request body and its headers (an Authorization the receiver asked for, say). */
export interface OutboundBody {
  contentType: string;
  text: string;
  headers?: Record<string, string>;
}

/**
 * POSTs a form to a relying party, as a server-side request that cannot be turned against the
 * server: see post.
 */
export function postForm(uri: string, form: string, o: SendOptions): Promise<SendOutcome> {
  return post(uri, { contentType: 'application/x-www-form-urlencoded', text: form }, o);
}

/**
 * POSTs a body to a party the tenant registered (a back-channel logout URI, a Shared Signals push
 * endpoint), as a server-side request that cannot be turned against the server: the name is
 * resolved once, every address it has must be globally reachable (unless allowPrivate), the
 * connection goes to those addresses only, redirects are answers (never followed), and at most
 * maxBodyBytes of the answer are read.
 */
export async function post(uri: string, body: OutboundBody, o: SendOptions): Promise<SendOutcome> {
  const url = new URL(uri);
  const signal = AbortSignal.timeout(o.timeoutMs);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: LookupAddress[];
  try {
    addresses = await withDeadline(lookup(host, { all: true, verbatim: true }), signal);
  } catch (err) {
    if (signal.aborted) return { kind: 'timeout' };
    return {
      kind: 'unreachable',
      detail: `name not resolved (${(err as { code?: string }).code})`,
    };
  }
  if (!addresses.length) return { kind: 'unreachable', detail: 'name not resolved' };
  if (!o.allowPrivate)
    for (const a of addresses) {
      const range = specialPurposeRange(a.address);
      if (range) return { kind: 'refused', detail: `${host} resolves to ${a.address} (${range})` };
    }
  return sendTo(url, addresses, body.text, signal, o.maxBodyBytes, body);
}

/** The request itself, to addresses already checked. */
export function sendTo(
  url: URL,
  addresses: LookupAddress[],
  form: string,
  signal: AbortSignal,
  maxBodyBytes: number,
  kind: Omit<OutboundBody, 'text'> = { contentType: 'application/x-www-form-urlencoded' },
): Promise<SendOutcome> {
  return new Promise<SendOutcome>((resolve) => {
    let status: number | undefined;
    const settle = (outcome: SendOutcome) => {
      req.destroy();
      resolve(outcome);
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: {
          ...kind.headers,
          'content-type': kind.contentType,
          'content-length': Buffer.byteLength(form),
          'cache-control': 'no-store',
        },
        agent: false, // one connection per send: nothing pooled between tenants
        lookup: pinnedLookup(addresses),
        signal,
      },
      (res: IncomingMessage) => {
        const answered: SendOutcome = { kind: 'answered', status: (status = res.statusCode ?? 0) };
        // the status is the answer; a little of the body is read so a short answer ends cleanly
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > maxBodyBytes) settle(answered);
        });
        res.on('end', () => settle(answered));
        res.on('error', () => settle(answered));
      },
    );
    req.on('error', (err: Error & { code?: string }) => {
      if (status !== undefined) settle({ kind: 'answered', status });
      else if (signal.aborted) settle({ kind: 'timeout' });
      else settle({ kind: 'unreachable', detail: err.code ?? err.name });
    });
    req.end(form);
  });
}
