import { z } from 'zod';

/** `limit`: how many items a page of an admin list holds. */
export const pageLimitSchema = z
  .string()
  .regex(/^\d+$/, 'Must be a whole number')
  .transform(Number)
  .pipe(z.number().int().min(1).max(200))
  .default(100);

/**
 * The query of an admin list: a page of `limit` items after `cursor` (opaque: taken from the
 * previous page's `Link: <…>; rel="next"`). Other parameters are ignored, as they always were.
 */
export const pageQuerySchema = z.object({
  limit: pageLimitSchema,
  cursor: z.string().max(500).optional(),
});

export const userListQuerySchema = pageQuerySchema.extend({
  email: z.string().optional(),
});
