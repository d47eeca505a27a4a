import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import { TextDecoder } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const JSON_LIMIT = 256 * 1024;
const FORM_LIMIT = 64 * 1024;
// application/json is matched by name; application/*+json (problem+json, merge-patch+json) here
const SUFFIX_JSON = /^application\/[\w!#$%&'*.^`|~-]+\+json(\s*;|$)/i;

function charsetOf(req: FastifyRequest): string | undefined {
  const m = /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(req.headers['content-type'] ?? '');
  return m?.[1].toLowerCase();
}

function unsupportedCharset(): UnsupportedMediaTypeException {
  return new UnsupportedMediaTypeException('Unsupported charset');
}

/**
 * The only bodies the server reads: JSON (the admin API, 256 kB) and forms (the OAuth endpoints,
 * 64 kB, kept as text so that parseForm sees repeated parameters, RFC 6749 §3.2). Any other type
 * is not read and leaves `body` undefined; each endpoint then refuses it in its own error shape.
 * Over the limit is 413; a malformed body or an unknown charset is refused before any handler runs.
 */
export function useBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const json = (
    req: FastifyRequest,
    body: Buffer,
    done: (e: Error | null, b?: unknown) => void,
  ) => {
    const charset = charsetOf(req) ?? 'utf-8';
    if (!charset.startsWith('utf-')) return done(unsupportedCharset());
    const text = body.toString('utf8');
    // strict, as JSON bodies are objects or arrays here; an empty body is an empty object
    if (text.trim() === '') return done(null, {});
    const first = /^[\s]*(.)/.exec(text)?.[1];
    if (first !== '{' && first !== '[') return done(new BadRequestException('Malformed JSON'));
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new BadRequestException('Malformed JSON'));
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: JSON_LIMIT }, json);
  app.addContentTypeParser(SUFFIX_JSON, { parseAs: 'buffer', bodyLimit: JSON_LIMIT }, json);
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: FORM_LIMIT },
    (req, body, done) => {
      let decoder: TextDecoder;
      try {
        decoder = new TextDecoder(charsetOf(req) ?? 'utf-8');
      } catch {
        return done(unsupportedCharset());
      }
      done(null, decoder.decode(body as Buffer));
    },
  );
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
}
