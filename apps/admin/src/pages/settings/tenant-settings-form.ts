import { z } from 'zod';
import {
  checkPolicyOrder,
  createTenantSchema,
  durationSchema,
  lockoutRuleSchema,
  ON_REUSE,
  policyFields,
  RATE_LIMIT_NAMES,
  rateLimitRuleSchema,
  reuseGraceSecondsSchema,
  type RateLimitName,
  type RateLimitsInput,
  type UpdateTenantInput,
} from '@tessera/contracts';
import type { Tenant, WirePolicy } from '../../api/types';
import { toPolicyInput } from '../applications/application-form';
import { effective } from '../applications/policy-preview';

/** A text field that must hold a value the contracts' `schema` takes; empty says "Required". */
const filled = (schema: z.ZodType<string>) =>
  z.string().superRefine((v, ctx) => {
    if (v.trim() === '') return void ctx.addIssue({ code: 'custom', message: 'Required' });
    const r = schema.safeParse(v);
    if (!r.success) ctx.addIssue({ code: 'custom', message: r.error.issues[0].message });
  });

/** A whole number typed as text, within the contracts' bounds. */
const wholeNumber = (schema: z.ZodNumber, example: string) =>
  z.string().superRefine((v, ctx) => {
    const s = v.trim();
    if (s === '') return void ctx.addIssue({ code: 'custom', message: 'Required' });
    if (!/^\d+$/.test(s))
      return void ctx.addIssue({
        code: 'custom',
        message: `Write a whole number, e.g. ${example}`,
      });
    if (!schema.safeParse(Number(s)).success)
      ctx.addIssue({
        code: 'custom',
        message: `Write a number from ${schema.minValue ?? 0} to ${(schema.maxValue ?? 0).toLocaleString('en')}`,
      });
  });

const onOff = z.enum(['on', 'off']);
const rule = z.object({
  limit: wholeNumber(rateLimitRuleSchema.shape.limit, '100'),
  window: filled(rateLimitRuleSchema.shape.window),
});
const lockoutRule = z.object({
  limit: wholeNumber(lockoutRuleSchema.shape.limit, '5'),
  window: filled(lockoutRuleSchema.shape.window),
  lockout: filled(lockoutRuleSchema.shape.lockout),
});

export function tenantSettingsSchema(saved: WirePolicy) {
  return z
    .object({
      name: createTenantSchema.shape.name,
      policy: z.object({
        accessTokenTtl: filled(policyFields.accessTokenTtl.unwrap()),
        refreshIdleTtl: filled(durationSchema),
        refreshAbsoluteTtl: filled(durationSchema),
        sessionIdleTtl: filled(durationSchema),
        sessionAbsoluteTtl: filled(durationSchema),
        sliding: onOff,
        rotation: onOff,
        reuseGraceSeconds: wholeNumber(reuseGraceSecondsSchema, '10'),
        onReuse: z.enum(ON_REUSE),
      }),
      rateLimits: z.object({
        token: rule,
        introspection: rule,
        signInAccount: lockoutRule,
        signInAddress: lockoutRule,
      }),
    })
    .superRefine((f, ctx) => {
      // the orderings the server refuses, on the values as typed
      const policy = toPolicyInput(f.policy);
      if (!policy) return;
      for (const issue of checkPolicyOrder(effective(saved, policy)))
        ctx.addIssue({ code: 'custom', path: ['policy', issue.path], message: issue.message });
    });
}

export type TenantSettingsForm = z.infer<ReturnType<typeof tenantSettingsSchema>>;

const onOffOf = (b: boolean) => (b ? 'on' : 'off');

export function formOf(t: Tenant): TenantSettingsForm {
  const p = t.policy;
  const r = t.rateLimits;
  const plain = (x: { limit: number; window: string }) => ({
    limit: String(x.limit),
    window: x.window,
  });
  return {
    name: t.name,
    policy: {
      accessTokenTtl: p.accessTokenTtl,
      refreshIdleTtl: p.refreshIdleTtl,
      refreshAbsoluteTtl: p.refreshAbsoluteTtl,
      sessionIdleTtl: p.sessionIdleTtl,
      sessionAbsoluteTtl: p.sessionAbsoluteTtl,
      sliding: onOffOf(p.sliding),
      rotation: onOffOf(p.rotation),
      reuseGraceSeconds: String(p.reuseGraceSeconds),
      onReuse: p.onReuse,
    },
    rateLimits: {
      token: plain(r.token),
      introspection: plain(r.introspection),
      signInAccount: { ...plain(r.signInAccount), lockout: r.signInAccount.lockout },
      signInAddress: { ...plain(r.signInAddress), lockout: r.signInAddress.lockout },
    },
  };
}

/**
 * The PATCH body: the name, the whole policy, and only the rate limits that were changed (a rule
 * left out keeps following Tessera's default).
 */
export function toUpdateInput(
  f: TenantSettingsForm,
  changedLimits: readonly RateLimitName[],
): UpdateTenantInput {
  const r = f.rateLimits;
  const rule = (x: { limit: string; window: string }) => ({
    limit: Number(x.limit),
    window: x.window,
  });
  const all: Required<RateLimitsInput> = {
    token: rule(r.token),
    introspection: rule(r.introspection),
    signInAccount: { ...rule(r.signInAccount), lockout: r.signInAccount.lockout },
    signInAddress: { ...rule(r.signInAddress), lockout: r.signInAddress.lockout },
  };
  const rateLimits = Object.fromEntries(
    RATE_LIMIT_NAMES.filter((n) => changedLimits.includes(n)).map((n) => [n, all[n]]),
  ) as RateLimitsInput;
  return {
    name: f.name.trim(),
    policy: toPolicyInput(f.policy) ?? {},
    ...(Object.keys(rateLimits).length ? { rateLimits } : {}),
  };
}
