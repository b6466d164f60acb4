import { describeRecentMessagesContract } from './recent-messages.contract';
import { InMemoryRecentMessages } from './recent-messages.memory';
import { InMemorySequencerBackend, InMemorySequencerState } from './sequencer.memory';

describeRecentMessagesContract('InMemoryRecentMessages', async () => {
  const state = new InMemorySequencerState();
  return {
    recent: new InMemoryRecentMessages(state, { maxPerRoom: 5 }),
    sequencer: new InMemorySequencerBackend({ state }).sequencer,
    cleanup: async () => {},
  };
});

describe('InMemoryRecentMessages with an injected clock', () => {
  it("drops a room's cache ttlMs after its last append", async () => {
    let now = 1000;
    const recent = new InMemoryRecentMessages(undefined, { ttlMs: 100 }, () => now);
    await recent.append([{ roomId: 'r', seq: 1, data: '{}' }]);
    now = 1099;
    expect((await recent.after('r', 0, 10)).entries).toHaveLength(1);
    await recent.append([{ roomId: 'r', seq: 2, data: '{}' }]);
    now = 1198;
    expect((await recent.after('r', 0, 10)).entries).toHaveLength(2);
    now = 1199;
    expect((await recent.after('r', 0, 10)).entries).toHaveLength(0);
  });
});
