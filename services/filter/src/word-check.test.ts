import { createWordFilter } from '@roomcast/filter-engine';
import { layeredChecker, rejectionReason } from './word-check';

describe('layeredChecker', () => {
  const global = createWordFilter({ entries: [{ word: 'darn', policy: 'mask' }, { word: 'badword', policy: 'reject', category: 'blocked' }] });
  const room = createWordFilter({ entries: [{ word: 'spoiler', policy: 'mask' }, { word: 'leak', policy: 'review', category: 'spoilers' }] });
  const checker = layeredChecker(global, room);

  it('masks the words of both layers', () => {
    expect(checker.check('a spoiler, darn')).toMatchObject({ verdict: 'mask', text: 'a *******, ****' });
    expect(checker.check('a spoiler')).toMatchObject({ verdict: 'mask', text: 'a *******' });
    expect(checker.check('darn')).toMatchObject({ verdict: 'mask', text: '****' });
    expect(checker.check('clean')).toMatchObject({ verdict: 'allow', text: 'clean', matches: [] });
  });

  it('takes the stronger verdict and keeps all matches in position order', () => {
    const r = checker.check('leak badword darn');
    expect(r.verdict).toBe('reject');
    expect(r.matches.map((m) => m.word)).toEqual(['leak', 'badword', 'darn']);
    expect(rejectionReason(r)).toBe('blocked');
    expect(checker.check('leak darn').verdict).toBe('review');
  });

  it("lets a room's allow-list un-list global words in that room", () => {
    const g = createWordFilter({
      entries: [
        { word: '台独', policy: 'reject', category: 'politics' },
        { word: 'darn', policy: 'mask' },
        { word: 'cum', policy: 'mask' },
      ],
    });
    const allow = createWordFilter({ entries: ['平台独家', 'cum laude'].map((word) => ({ word, policy: 'mask' as const })) });
    const withAllow = layeredChecker(g, room, allow);
    // inside an allow word: gone; elsewhere in the same text: kept, and masking redone
    expect(withAllow.check('平台独家优惠')).toMatchObject({ verdict: 'allow', text: '平台独家优惠', matches: [] });
    expect(withAllow.check('summa cum laude, darn cum')).toMatchObject({ verdict: 'mask', text: 'summa cum laude, **** ***' });
    expect(withAllow.check('台独 in 平台独家').verdict).toBe('reject');
    expect(withAllow.check('平台独家 spoiler')).toMatchObject({ verdict: 'mask', text: '平台独家 *******' });
    // without the room's allow-list the global words apply
    expect(layeredChecker(g, room).check('平台独家优惠').verdict).toBe('reject');
    expect(layeredChecker(g, undefined, allow).check('平台独家优惠').verdict).toBe('allow');
  });

  it('tells a rejected sender the category, or "blocked" when there is none', () => {
    const plain = layeredChecker(createWordFilter({ entries: [{ word: 'x1x', policy: 'reject' }] }), room);
    expect(rejectionReason(plain.check('x1x'))).toBe('blocked');
  });
});
