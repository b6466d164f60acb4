import { inboxItemId, inboxLimit } from './inbox-store';
import { describeInboxStoreContract } from './inbox-store.contract';
import { InMemoryInboxStore } from './inbox-store.memory';

describeInboxStoreContract('InMemoryInboxStore', async () => ({ store: new InMemoryInboxStore(), cleanup: async () => {} }));

describe('inboxLimit and inboxItemId', () => {
  it('defaults, truncates and clamps the limit', () => {
    expect(inboxLimit(undefined)).toBe(50);
    expect(inboxLimit(Number.NaN)).toBe(50);
    expect(inboxLimit(0)).toBe(1);
    expect(inboxLimit(2.9)).toBe(2);
    expect(inboxLimit(10_000)).toBe(200);
  });

  it('makes ids that sort by acceptance time as strings', () => {
    const early = inboxItemId({ at: 999, messageId: 'zz', reason: 'reply' });
    const late = inboxItemId({ at: 1000, messageId: 'aa', reason: 'mention' });
    expect(early < late).toBe(true);
    expect(late).toBe('000000000001000-aa-mention');
  });
});
