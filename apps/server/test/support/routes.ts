import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';

/**
 * Every route the running app serves, read from the controllers of every module the way Nest's
 * router reads them, with `:param` written `{param}` as in the OpenAPI document. A route the
 * document misses is still here.
 */
export function servedRoutes(app: INestApplication): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const mod of app.get(ModulesContainer).values())
    for (const wrapper of mod.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const base = (Reflect.getMetadata(PATH_METADATA, controller) as string | undefined) ?? '';
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (sub === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        for (const s of Array.isArray(sub) ? sub : [sub])
          out.push({
            method,
            path:
              '/' +
              [base, s]
                .flatMap((p) => p.split('/'))
                .filter(Boolean)
                .map((x) => (x.startsWith(':') ? `{${x.slice(1)}}` : x))
                .join('/'),
          });
      }
    }
  return out;
}
