import { z } from 'zod';
import {
  accessTokenTtlSchema,
  resourceIndicatorSchema,
  resourceServerSchema,
  scopeNameSchema,
  scopeSchema,
  type ResourceServerInput,
} from '@tessera/contracts';

/** The contracts' rule for one base URL. */
const baseUrlSchema = resourceServerSchema.shape.baseUrls.unwrap().element;

const lines = (v: string) =>
  v
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The resource server form: the contracts' rules, plus what the form itself can tell. */
export const schema = z
  .object({
    identifier: resourceIndicatorSchema,
    name: resourceServerSchema.shape.name,
    baseUrls: z.string().superRefine((v, ctx) =>
      lines(v).forEach((l, i) => {
        const r = baseUrlSchema.safeParse(l);
        if (!r.success)
          ctx.addIssue({ code: 'custom', message: `Line ${i + 1}: ${r.error.issues[0].message}` });
      }),
    ),
    accessTokenTtl: z.union([z.literal(''), accessTokenTtlSchema]),
    allowsOfflineAccess: z.boolean(),
    scopes: z.array(
      z.object({
        name: scopeNameSchema,
        description: scopeSchema.shape.description.unwrap(),
      }),
    ),
    permissionGroups: z.array(
      z.object({
        name: z.string().trim().min(1, 'Required').max(128, 'At most 128 characters'),
        scopes: z.array(z.string()),
      }),
    ),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.scopes.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({
          code: 'custom',
          path: ['scopes', i, 'name'],
          message: 'Already listed above',
        });
      seen.add(s.name);
    });
    f.permissionGroups.forEach((g, i) => {
      if (g.scopes.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['permissionGroups', i, 'scopes'],
          message: 'Tick at least one scope for the group',
        });
    });
  });
export type ResourceServerForm = z.infer<typeof schema>;

/** The form → the body the API takes. */
export function toInput(f: ResourceServerForm): ResourceServerInput {
  const names = new Set(f.scopes.map((s) => s.name));
  return {
    identifier: f.identifier.trim(),
    name: f.name.trim(),
    baseUrls: lines(f.baseUrls),
    accessTokenTtl: f.accessTokenTtl || null,
    allowsOfflineAccess: f.allowsOfflineAccess,
    scopes: f.scopes,
    // a scope deleted above leaves the groups too
    permissionGroups: f.permissionGroups.map((g) => ({
      name: g.name.trim(),
      scopes: g.scopes.filter((s) => names.has(s)),
    })),
  };
}
