import { execFileSync } from 'node:child_process';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../src/config/heap-growth';

/**
 * The largest old generation (MB) of a node process that sets `flag` at run time (as the server's
 * entry point does) and then promotes garbage steadily over a live set of about 30 MB.
 */
function peakOldGenerationMb(flag: string | undefined): number {
  const script = `
    const v8 = require('node:v8');
    if (${JSON.stringify(flag ?? '')}) v8.setFlagsFromString(${JSON.stringify(flag ?? '')});
    const live = [];
    for (let i = 0; i < 200000; i++) live.push({ id: i, s: 'x'.repeat(60) + i });
    const ring = new Array(200000);
    let peak = 0;
    for (let i = 0; i < 6e6; i++) {
      ring[i % ring.length] = { i, s: 'v' + i };
      if (i % 50000 === 0) {
        const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
        peak = Math.max(peak, old.space_size);
      }
    }
    process.stdout.write(String(Math.round(peak / 1048576)));
  `;
  // single-threaded GC: concurrent marking's timing (a loaded machine) would move the peak
  return Number(
    execFileSync(process.execPath, ['--single-threaded-gc', '-e', script], { encoding: 'utf8' }),
  );
}

describe("V8's heap growth, bounded at start", () => {
  it('sets the growing percent when the operator gave none', () => {
    const set: string[] = [];
    expect(limitHeapGrowth([], (f) => set.push(f))).toBe(
      `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
    );
    expect(set).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
  });

  it("keeps the operator's own --heap-growing-percent", () => {
    for (const given of ['--heap-growing-percent=80', '--heap_growing_percent=80']) {
      const set: string[] = [];
      expect(limitHeapGrowth(['--enable-source-maps', given], (f) => set.push(f))).toBeUndefined();
      expect(set).toEqual([]);
    }
  });

  it('keeps the old generation near what survives when set at run time', () => {
    const flag = limitHeapGrowth([], () => undefined);
    const bounded = peakOldGenerationMb(flag);
    const unbounded = peakOldGenerationMb(undefined);
    // the live set is about 30 MB: V8's own factor lets the garbage pile up to several times it
    // (unbounded, the ratio is about 1; bounded, about 0.4 to 0.64 as the machine's load varies)
    expect(bounded / unbounded).toBeLessThan(0.75);
  });
});
