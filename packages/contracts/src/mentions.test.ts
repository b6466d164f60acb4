import { noticeTargets } from './mentions';

describe('noticeTargets', () => {
  it('notifies the reply author and each mentioned user once, never the sender', () => {
    expect(noticeTargets({ userId: 'ann', mentions: ['bob', 'ann', 'carl', 'bob'] }, 'dan')).toEqual([
      { userId: 'dan', reason: 'reply' },
      { userId: 'bob', reason: 'mention' },
      { userId: 'carl', reason: 'mention' },
    ]);
  });

  it('gives an author who is also mentioned the reply only; a reply to oneself notifies no one', () => {
    expect(noticeTargets({ userId: 'ann', mentions: ['bob'] }, 'bob')).toEqual([{ userId: 'bob', reason: 'reply' }]);
    expect(noticeTargets({ userId: 'ann' }, 'ann')).toEqual([]);
    expect(noticeTargets({ userId: 'ann' }, undefined)).toEqual([]);
  });
});
