import { setFlagsFromString } from 'node:v8';

/**
 * After each full collection V8 lets the old generation grow this much (in percent) above what
 * survived it before it collects again. Left to itself V8 picks up to 300 % on a machine with
 * gigabytes of memory, and under load the server's peak RSS rose by about 100 MB of garbage waiting
 * for that collection (bench: 40 000 client_credentials, 270 MB instead of 171 MB) at the same CPU
 * per request. See docs/operations.md, "Memory".
 */
export const HEAP_GROWING_PERCENT = 50;

const OPERATOR_FLAG = /^--heap[-_]growing[-_]percent(?:=|$)/;

/**
 * Sets V8's heap growing factor for this process, unless the operator started node with their own
 * `--heap-growing-percent` (NODE_OPTIONS cannot carry it). V8 reads the flag at every full
 * collection, so setting it at start applies to the whole run. Returns the flag it set.
 */
export function limitHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): string | undefined {
  if (execArgv.some((arg) => OPERATOR_FLAG.test(arg))) return undefined;
  const flag = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
  setFlags(flag);
  return flag;
}
