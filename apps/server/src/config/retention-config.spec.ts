import { ConfigError, loadConfig } from './config';

describe('retention configuration', () => {
  it('defaults to a run every 5 minutes, batches of 1000, 30 days of history and 400 of audit', () => {
    expect(loadConfig({}).retention).toEqual({
      intervalSeconds: 300,
      batchSize: 1000,
      sessionHistoryDays: 30,
      auditDays: 400,
    });
  });

  it('takes fractions of days, and 0 (no timer, audit kept forever)', () => {
    const c = loadConfig({
      TESSERA_RETENTION_INTERVAL_SECONDS: '0',
      TESSERA_RETENTION_BATCH_SIZE: '50',
      TESSERA_RETENTION_SESSION_HISTORY_DAYS: '0.5',
      TESSERA_RETENTION_AUDIT_DAYS: '0',
    });
    expect(c.retention).toEqual({
      intervalSeconds: 0,
      batchSize: 50,
      sessionHistoryDays: 0.5,
      auditDays: 0,
    });
  });

  it.each([
    ['TESSERA_RETENTION_SESSION_HISTORY_DAYS', '-1'],
    ['TESSERA_RETENTION_AUDIT_DAYS', 'forever'],
    ['TESSERA_RETENTION_BATCH_SIZE', '0'],
    ['TESSERA_RETENTION_INTERVAL_SECONDS', '1.5'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });
});
