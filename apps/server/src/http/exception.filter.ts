import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from 'pino';
import { isInvalidInput, isUnavailable } from '../database';
import {
  Conflict,
  DomainError,
  OAuthError,
  TemporarilyUnavailable,
  type AnyOAuthError,
} from '../errors';
import { noStore } from './form';
import { pathOf, type HttpRequest, type HttpResponse } from './platform';
import { isAnsweredAtDeadline } from './request-deadline';
import { pointerOf, problemBody, statusOf, type ProblemCode } from './problem';

/** What goes on the wire for an error: status, JSON body, extra headers. */
interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

const RETRY_AFTER = { 'Retry-After': '5' };
const UNAVAILABLE = 'The service is temporarily unavailable; retry later';

/**
 * RFC 6749 §5.2 for the token, introspection (RFC 7662 §2.3) and revocation endpoints, RFC 6750
 * §3 for bearer-protected ones: the public description only; the detail was logged.
 */
export function oauthAnswer(e: OAuthError): Answer {
  // every class is in the union; the switch then reads each one's own fields
  const err = e as AnyOAuthError;
  const body = (error: string) => ({ error, error_description: err.description });
  switch (err.code) {
    case 'invalid_request':
    case 'invalid_grant':
    case 'unauthorized_client':
    case 'unsupported_grant_type':
    case 'invalid_scope':
    case 'invalid_target':
    case 'unsupported_response_type':
      return { status: 400, body: body(err.code), headers: {} };
    case 'invalid_client':
      return {
        status: 401,
        body: body(err.code),
        headers: err.usedBasic
          ? { 'WWW-Authenticate': 'Basic realm="tessera", charset="UTF-8"' }
          : {},
      };
    case 'temporarily_unavailable':
      return { status: 503, body: body(err.code), headers: RETRY_AFTER };
    case 'too_many_requests':
      return {
        status: 429,
        body: body('temporarily_unavailable'),
        headers: {
          'Retry-After': String(Math.max(1, err.waitSeconds)),
        },
      };
    case 'invalid_token':
      return {
        status: 401,
        body: body(err.code),
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      };
    case 'insufficient_scope':
      return {
        status: 403,
        body: body(err.code),
        headers: {
          'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${err.scope}"`,
        },
      };
    case 'missing_token':
      return {
        status: 401,
        body: body('invalid_request'),
        headers: { 'WWW-Authenticate': 'Bearer' },
      };
    case 'unknown_issuer':
      return { status: 404, body: body('invalid_request'), headers: {} };
    case 'method_not_allowed':
      return {
        status: 405,
        body: body('invalid_request'),
        headers: { Allow: err.allow },
      };
    case 'invalid_dpop_proof':
      return { status: 400, body: body(err.code), headers: {} };
    case 'use_dpop_nonce':
      return { status: 400, body: body(err.code), headers: { 'DPoP-Nonce': err.nonce } };
  }
}

/** RFC 9457 for the admin API (and the account API's resources): a stable `code`, field pointers. */
export function problemAnswer(err: DomainError): Answer {
  const errors = err.fields.map((f) => ({ pointer: pointerOf(f.path), detail: f.detail }));
  const answer = (code: ProblemCode, headers: Record<string, string> = {}): Answer => ({
    status: statusOf(code),
    body: problemBody(code, err.detail, errors),
    headers,
  });
  switch (err.code) {
    case 'validation_failed':
    case 'unauthenticated':
    case 'forbidden':
    case 'not_found':
      return answer(err.code);
    case 'conflict': {
      const wait = err instanceof Conflict ? err.retryAfterSeconds : undefined;
      return answer(err.code, wait === undefined ? {} : { 'Retry-After': String(wait) });
    }
  }
}

/**
 * The two error surfaces: RFC 9457 problems under /admin/api, RFC 6749 §5.2 JSON elsewhere.
 * Never a stack trace or an internal message in a response.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.respond(err, http.getRequest<HttpRequest>(), http.getResponse<HttpResponse>());
  }

  /** Also called for what the router refuses before Nest sees the request (server.ts). */
  respond(err: unknown, req: Pick<HttpRequest, 'id' | 'url'>, res: HttpResponse): void {
    const reqId = req.id;
    if (res.sent || res.raw.headersSent) {
      // the client already has its 503: the handler's late failure is expected, not an error
      if (isAnsweredAtDeadline(res)) {
        this.logger.info({ reqId, err: describe(err) }, 'failed after the deadline answered');
        return;
      }
      this.logger.error({ reqId, err: describe(err) }, 'error after response started');
      return;
    }
    const path = pathOf(req);
    const isAdmin = path.startsWith('/admin/api');

    if (err instanceof OAuthError) {
      const a = oauthAnswer(err);
      this.logger.info({ reqId, error: a.body.error, detail: err.detail }, 'oauth error');
      this.send(res, a.status, a.body, a.headers, 'application/json');
      return;
    }
    if (err instanceof DomainError) {
      const a = problemAnswer(err);
      this.logger.info({ reqId, problemCode: err.code, detail: err.detail }, 'admin api problem');
      this.send(res, a.status, a.body, a.headers, 'application/problem+json');
      return;
    }
    if (isUnavailable(err)) {
      this.logger.warn({ reqId, err: describe(err) }, 'database unavailable');
      if (isAdmin)
        this.send(
          res,
          503,
          problemBody('unavailable', UNAVAILABLE),
          RETRY_AFTER,
          'application/problem+json',
        );
      else {
        const a = oauthAnswer(new TemporarilyUnavailable());
        this.send(res, a.status, a.body, a.headers, 'application/json');
      }
      return;
    }
    // a 503 the server chose (readiness, a validator that cannot validate): its own body, no stack
    if (err instanceof HttpException && err.getStatus() === 503) {
      this.logger.warn({ reqId, path }, 'unavailable');
      const own = err.getResponse();
      this.send(
        res,
        503,
        isAdmin
          ? problemBody('unavailable', UNAVAILABLE)
          : typeof own === 'object'
            ? own
            : { error: 'temporarily_unavailable' },
        res.getHeader('Retry-After') ? {} : { 'Retry-After': '5' },
        isAdmin ? 'application/problem+json' : 'application/json',
      );
      return;
    }
    // the HTTP layer's own refusals (body too large, malformed) arrive as HttpExceptions
    const status = err instanceof HttpException ? err.getStatus() : isInvalidInput(err) ? 400 : 500;
    if (status >= 500)
      this.logger.error(
        { reqId, err: describe(err), stack: (err as Error)?.stack },
        'unhandled error',
      );
    // a refused request's message may quote what the client sent: not logged
    else
      this.logger.info(
        {
          reqId,
          status,
          err: { name: (err as Error)?.name, errorCode: errorCodeOf(err) },
        },
        'request refused',
      );
    if (isAdmin) {
      const code: ProblemCode =
        status === 404
          ? 'not_found'
          : status === 413
            ? 'payload_too_large'
            : status === 401
              ? 'unauthenticated'
              : status === 403
                ? 'forbidden'
                : status >= 500
                  ? 'internal'
                  : 'validation_failed';
      const detail =
        status >= 500
          ? 'Internal error'
          : status === 404
            ? 'Not found'
            : status === 413
              ? 'The request body is too large'
              : 'The request is not valid';
      this.send(
        res,
        status,
        { ...problemBody(code, detail), status },
        {},
        'application/problem+json',
      );
      return;
    }
    const error =
      status === 404
        ? 'not_found'
        : status === 405
          ? 'method_not_allowed'
          : status >= 500
            ? 'server_error'
            : 'invalid_request';
    const description =
      status >= 500
        ? 'Internal error'
        : status === 404
          ? 'Not found'
          : status === 413
            ? 'The request body is too large'
            : 'The request is malformed';
    this.send(res, status, { error, error_description: description }, {}, 'application/json');
  }

  private send(
    res: HttpResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
    type: string,
  ) {
    noStore(res.code(status));
    for (const [k, v] of Object.entries(headers)) res.header(k, v);
    res.type(`${type}; charset=utf-8`).send(JSON.stringify(body));
  }
}

/** Fastify's code for its own refusals (FST_ERR_CTP_BODY_TOO_LARGE), kept by Nest as the cause. */
function errorCodeOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Class and code only: driver messages can quote row values. */
function describe(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: string; message?: string };
  return {
    name: e?.name,
    errorCode: e?.code,
    message: typeof e?.message === 'string' ? e.message.slice(0, 200) : undefined,
  };
}
