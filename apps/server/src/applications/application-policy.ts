import {
  durationToSeconds,
  POLICY_DURATION_FIELDS,
  secondsToDuration,
  type EffectivePolicy,
  type PolicyInput,
} from '@tessera/contracts';
import type { Application } from './application.entity';

type Overrides = Pick<
  Application,
  | 'accessTokenTtl'
  | 'refreshIdleTtl'
  | 'refreshAbsoluteTtl'
  | 'sessionIdleTtl'
  | 'sessionAbsoluteTtl'
  | 'isSliding'
  | 'isRotating'
  | 'reuseGraceSeconds'
  | 'onReuse'
>;

/** An application's policy: its overrides on top of the tenant's defaults. */
export function effectivePolicy(tenantDefaults: EffectivePolicy, a: Overrides): EffectivePolicy {
  return {
    accessTokenTtl: a.accessTokenTtl ?? tenantDefaults.accessTokenTtl,
    refreshIdleTtl: a.refreshIdleTtl ?? tenantDefaults.refreshIdleTtl,
    refreshAbsoluteTtl: a.refreshAbsoluteTtl ?? tenantDefaults.refreshAbsoluteTtl,
    sessionIdleTtl: a.sessionIdleTtl ?? tenantDefaults.sessionIdleTtl,
    sessionAbsoluteTtl: a.sessionAbsoluteTtl ?? tenantDefaults.sessionAbsoluteTtl,
    sliding: a.isSliding ?? tenantDefaults.sliding,
    rotation: a.isRotating ?? tenantDefaults.rotation,
    reuseGraceSeconds: a.reuseGraceSeconds ?? tenantDefaults.reuseGraceSeconds,
    onReuse: a.onReuse ?? tenantDefaults.onReuse,
  };
}

/** Input policy → override columns; a field the input leaves out falls back to the tenant default. */
export function overrideColumns(p: PolicyInput | undefined): Overrides {
  const d = (f: (typeof POLICY_DURATION_FIELDS)[number]) =>
    p?.[f] !== undefined ? durationToSeconds(p[f]!) : null; // checked just before
  return {
    accessTokenTtl: d('accessTokenTtl'),
    refreshIdleTtl: d('refreshIdleTtl'),
    refreshAbsoluteTtl: d('refreshAbsoluteTtl'),
    sessionIdleTtl: d('sessionIdleTtl'),
    sessionAbsoluteTtl: d('sessionAbsoluteTtl'),
    isSliding: p?.sliding ?? null,
    isRotating: p?.rotation ?? null,
    reuseGraceSeconds: p?.reuseGraceSeconds ?? null,
    onReuse: p?.onReuse ?? null,
  };
}

/** Override columns → the input policy they came from (only the overridden fields). */
export function overridesView(a: Overrides): PolicyInput {
  const out: PolicyInput = {};
  for (const f of POLICY_DURATION_FIELDS) if (a[f] !== null) out[f] = secondsToDuration(a[f]);
  if (a.isSliding !== null) out.sliding = a.isSliding;
  if (a.isRotating !== null) out.rotation = a.isRotating;
  if (a.reuseGraceSeconds !== null) out.reuseGraceSeconds = a.reuseGraceSeconds;
  if (a.onReuse !== null) out.onReuse = a.onReuse;
  return out;
}
