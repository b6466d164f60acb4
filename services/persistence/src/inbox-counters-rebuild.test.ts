import { InMemoryInboxCounters } from '@roomcast/presence';
import { InMemoryInboxStore, type NewInboxEntry } from '@roomcast/store';
import { rebuildInboxCounters } from './inbox-counters-rebuild';

const mention = (seq: number, userId: string): NewInboxEntry => ({
  userId,
  messageId: `m${seq}`,
  reason: 'mention',
  roomId: 'room-a',
  seq,
  fromUserId: 'zed',
  text: `hi @${userId}`,
  at: 1_764_000_000_000 + seq,
});

describe('rebuildInboxCounters', () => {
  it("sets every user's counter to their unread count, page by page, leaving users without unread entries alone", async () => {
    const inbox = new InMemoryInboxStore();
    const counters = new InMemoryInboxCounters();
    const users = ['ann', 'bob', 'carl', 'dora', 'eve'];
    await inbox.add(users.flatMap((userId, i) => Array.from({ length: i + 1 }, (_, k) => mention(10 * i + k, userId))));
    await inbox.markRead('dora', { all: true });
    // Counters as a deploy finds them: none (ann..carl), short (eve), and above the record (dora,
    // who read everything since: left to the gateway's MongoDB read and her next mark-read).
    await counters.add(new Map([['eve', 2], ['dora', 3]]));
    const done = await rebuildInboxCounters(inbox, counters, { pageSize: 2 });
    expect(done).toEqual({ users: 4, unread: 1 + 2 + 3 + 5 });
    await expect(counters.get([...users, 'nobody'])).resolves.toEqual([1, 2, 3, 3, 5, 0]);
    // Run again: the same figures (idempotent).
    await expect(rebuildInboxCounters(inbox, counters, { pageSize: 1000 })).resolves.toEqual(done);
    await expect(counters.get(users)).resolves.toEqual([1, 2, 3, 3, 5]);
  });
});
