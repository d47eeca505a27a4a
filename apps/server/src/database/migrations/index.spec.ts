import { MIGRATIONS } from './index';

describe('the migrations list', () => {
  // TypeORM runs pending migrations by their timestamp, whatever the list's order; a list out of
  // order would say one history and apply another
  it('names every migration once, oldest first', () => {
    const stamps = MIGRATIONS.map((m) => Number(/(\d{13})$/.exec(m.name)?.[1]));
    expect(stamps.every((s) => Number.isFinite(s))).toBe(true);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(stamps).size).toBe(stamps.length);
  });
});
