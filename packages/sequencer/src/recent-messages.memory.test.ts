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

  it("markDeleted keeps the room's expiry where the last append put it", async () => {
    let now = 1000;
    const recent = new InMemoryRecentMessages(undefined, { ttlMs: 100 }, () => now);
    const data = JSON.stringify({ id: 'm1', roomId: 'r', seq: 1, userId: 'u', clientMsgId: 'c', text: 'hi', masked: false, sentAt: 1, acceptedAt: 2 });
    await recent.append([{ roomId: 'r', seq: 1, data }]);
    now = 1050;
    await expect(recent.markDeleted('r', 1)).resolves.toBe(true);
    now = 1099;
    expect((await recent.after('r', 0, 10)).entries).toHaveLength(1);
    now = 1100;
    expect((await recent.after('r', 0, 10)).entries).toHaveLength(0);
    await expect(recent.markDeleted('r', 1)).resolves.toBe(false);
  });
});
