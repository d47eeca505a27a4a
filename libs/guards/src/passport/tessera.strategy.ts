import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-strategy';
import { TokenRejectedError } from '../errors';
import type { TesseraPrincipal } from '../options';
import { TesseraVerifier } from '../verifier/tessera-verifier';

type Req = { headers: Record<string, string | string[] | undefined> };

/** A passport strategy around the same verifier: `success(principal)` or an RFC 6750 challenge. */
class TesseraBearerStrategy extends Strategy {
  name = 'tessera';
  constructor(private readonly verifier: TesseraVerifier) {
    super();
  }
  override authenticate(req: Req): void {
    const header = req.headers.authorization;
    if (header === undefined) return this.fail('Bearer', 401);
    const m = typeof header === 'string' ? /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header) : null;
    if (!m) return this.fail('Bearer error="invalid_token"', 401);
    this.verifier.verify(m[1]).then(
      (principal) => this.success(principal),
      (err: unknown) =>
        err instanceof TokenRejectedError
          ? this.fail('Bearer error="invalid_token"', 401)
          : this.error(err as Error),
    );
  }
}

/**
 * For services that already use passport: `@UseGuards(AuthGuard('tessera'))`, with the principal
 * as `req.user`. Shares the verification core with {@link TesseraAuthGuard}.
 */
@Injectable()
export class TesseraStrategy extends PassportStrategy(TesseraBearerStrategy, 'tessera') {
  constructor(verifier: TesseraVerifier) {
    super(verifier);
  }
  validate(principal: TesseraPrincipal): TesseraPrincipal {
    return principal;
  }
}
