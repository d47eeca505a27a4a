import { loadConfig } from '../config';
import { namedStatementsAllowed } from './hot-query';
import { lsn } from './read-router';

describe('WAL positions', () => {
  it('orders positions by their high word, then their low word, not as text', () => {
    expect(lsn('0/9') < lsn('0/10')).toBe(true); // hex: 0x9 < 0x10, though "9" > "10" as text
    expect(lsn('0/FFFFFFFF') < lsn('1/0')).toBe(true);
    expect(lsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
  });
});

describe('DATABASE_DIRECT_URL and DATABASE_READ_URL', () => {
  const primary = 'postgres://tessera@pgbouncer:6432/tessera';

  it('takes both as given, next to DATABASE_URL', () => {
    const c = loadConfig({
      DATABASE_URL: primary,
      DATABASE_DIRECT_URL: 'postgres://tessera@db:5432/tessera',
      DATABASE_READ_URL: 'postgresql://tessera@replica:5432/tessera',
    });
    expect(c.databaseDirectUrl).toBe('postgres://tessera@db:5432/tessera');
    expect(c.databaseReadUrl).toBe('postgresql://tessera@replica:5432/tessera');
  });

  it.each(['DATABASE_DIRECT_URL', 'DATABASE_READ_URL'])(
    'refuses %s without DATABASE_URL, and one that is not a postgres URL',
    (name) => {
      expect(() => loadConfig({ [name]: 'postgres://db/tessera' })).toThrow(
        new RegExp(`^Invalid configuration:\\n  ${name}: only with DATABASE_URL`),
      );
      expect(() => loadConfig({ DATABASE_URL: primary, [name]: 'mysql://db/x' })).toThrow(
        new RegExp(`^Invalid configuration:\\n  ${name}: must be a postgres`),
      );
    },
  );

  it('sends hot statements named only to a server reached directly', () => {
    expect(namedStatementsAllowed({ databaseUrl: primary })).toBe(true);
    expect(
      namedStatementsAllowed({ databaseUrl: primary, databaseDirectUrl: 'postgres://db/tessera' }),
    ).toBe(false);
    expect(namedStatementsAllowed({})).toBe(false); // the embedded database
  });
});
