import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/**
 * The one redaction list. We log ids, reasons and outcomes, never values; these paths are the
 * second line of defence if an object carrying a secret ever reaches a log call.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'id_token',
  '*.id_token',
  'code',
  '*.code',
  'code_verifier',
  '*.code_verifier',
  'cookie',
  '*.cookie',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tessera' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // stdout to a pipe is written synchronously, one syscall per line: under load the access log
    // alone cost ~0.1 ms of CPU per request. Asynchronous writes coalesce the lines that arrive while
    // one write is in flight; pino flushes what is left synchronously on exit.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Routes Nest's own logging into pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pinoLogger: Logger) {}
  log(message: unknown, context?: string) {
    // Nest's start-up chatter (modules loaded, routes mapped) is debug detail
    const isChatter =
      context === 'InstanceLoader' ||
      context === 'RoutesResolver' ||
      context === 'RouterExplorer' ||
      context === 'NestFactory';
    if (isChatter) this.pinoLogger.debug({ context }, String(message));
    else this.pinoLogger.info({ context }, String(message));
  }
  error(message: unknown, stack?: string, context?: string) {
    this.pinoLogger.error({ context, stack }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pinoLogger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pinoLogger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pinoLogger.trace({ context }, String(message));
  }
}
