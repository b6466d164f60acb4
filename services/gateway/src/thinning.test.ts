import { AppError } from '@roomcast/errors';
import { parseThinningRules, ThinningPolicy } from './thinning';

describe('ThinningPolicy', () => {
  it('is off by default', () => {
    const p = new ThinningPolicy();
    expect(p.enabled).toBe(false);
    expect(p.budgetFor('any')).toBe(0);
  });

  it('takes an exact room first, then the longest matching prefix, then the default', () => {
    const p = new ThinningPolicy(100, [
      { room: 'live:*', budgetPerSec: 50 },
      { room: 'live:vip:*', budgetPerSec: 0 },
      { room: 'live:vip:42', budgetPerSec: 7 },
    ]);
    expect(p.budgetFor('live:vip:42')).toBe(7);
    expect(p.budgetFor('live:vip:1')).toBe(0);
    expect(p.budgetFor('live:1')).toBe(50);
    expect(p.budgetFor('other')).toBe(100);
  });
});

describe('parseThinningRules (DELIVERY_THIN_ROOMS)', () => {
  it('reads room=budget and prefix*=budget pairs', () => {
    expect(parseThinningRules(' hot=20, live:*=5.5 ,,quiet=0')).toEqual([
      { room: 'hot', budgetPerSec: 20 },
      { room: 'live:*', budgetPerSec: 5.5 },
      { room: 'quiet', budgetPerSec: 0 },
    ]);
    expect(parseThinningRules('')).toEqual([]);
  });

  it('names every bad entry in one CONFIG_INVALID error', () => {
    let caught: unknown;
    try {
      parseThinningRules('ok=1,noequals,bad room=3,neg=-1,empty=,nan=x');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('CONFIG_INVALID');
    for (const bad of ['noequals', 'bad room=3', 'neg=-1', 'empty=', 'nan=x'])
      expect((caught as AppError).message).toContain(JSON.stringify(bad));
    expect((caught as AppError).message).not.toContain('"ok=1"');
  });
});
