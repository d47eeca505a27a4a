import { isConflict, isUnavailable, retryOnConflict } from './errors';

const pgError = (code: string) => Object.assign(new Error(`postgres ${code}`), { code });

describe('transient database errors', () => {
  it('a lost deadlock, a serialization failure and a lock timeout are 503 + Retry-After, never 500', () => {
    for (const code of ['40P01', '40001', '55P03']) expect(isUnavailable(pgError(code))).toBe(true);
    expect(isUnavailable(pgError('23505'))).toBe(false);
  });

  it('only a deadlock or a serialization failure is worth running again at once', () => {
    expect([isConflict(pgError('40P01')), isConflict(pgError('40001'))]).toEqual([true, true]);
    expect([isConflict(pgError('55P03')), isConflict(pgError('23505'))]).toEqual([false, false]);
  });

  it('retryOnConflict runs a transaction again while it loses, up to three times in all', async () => {
    let runs = 0;
    await expect(
      retryOnConflict(async () => {
        if (++runs < 3) throw pgError('40P01');
        return 'done';
      }),
    ).resolves.toBe('done');
    expect(runs).toBe(3);

    runs = 0;
    const always = () => {
      runs++;
      return Promise.reject(pgError('40001'));
    };
    await expect(retryOnConflict(always)).rejects.toMatchObject({ code: '40001' });
    expect(runs).toBe(3);

    runs = 0;
    const other = () => {
      runs++;
      return Promise.reject(pgError('23505'));
    };
    await expect(retryOnConflict(other)).rejects.toMatchObject({ code: '23505' });
    expect(runs).toBe(1);
  });
});
