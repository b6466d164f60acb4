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

  it('tells a rejected sender the category, or "blocked" when there is none', () => {
    const plain = layeredChecker(createWordFilter({ entries: [{ word: 'x1x', policy: 'reject' }] }), room);
    expect(rejectionReason(plain.check('x1x'))).toBe('blocked');
  });
});
