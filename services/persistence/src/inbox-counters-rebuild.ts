import type { Logger } from '@roomcast/logger';
import type { InboxCounters } from '@roomcast/presence';
import type { InboxStore } from '@roomcast/store';

/** What a rebuild did. */
export interface InboxCountersRebuilt {
  /** Users with unread entries, whose counters were set. */
  users: number;
  /** Their unread entries in all. */
  unread: number;
}

/**
 * Sets the unread counter of every user with unread inbox entries to their count in MongoDB (the
 * record; the counters in Redis are a hint the gateways read at connect). For a deploy that brings
 * the counters to an existing inbox, and for counters that expired (30 days without a write) or
 * fell short after failed writes. Pages through the users by id, `pageSize` at a time.
 *
 * Users whose counter is above their count are left as they are: the gateway reads MongoDB for
 * them, and their next mark-read sets it. A notice added while the rebuild runs may be counted in
 * MongoDB's figure and then set over, or added after it: the counter may end one short, as after
 * any failed counter write.
 */
export async function rebuildInboxCounters(
  inbox: InboxStore,
  counters: InboxCounters,
  options: { pageSize?: number; logger?: Logger } = {},
): Promise<InboxCountersRebuilt> {
  const pageSize = options.pageSize ?? 500;
  const done: InboxCountersRebuilt = { users: 0, unread: 0 };
  let after: string | undefined;
  for (;;) {
    const page = await inbox.unreadCounts(after, pageSize);
    if (page.length === 0) return done;
    await Promise.all(page.map(({ userId, unread }) => counters.set(userId, unread)));
    for (const { unread } of page) done.unread += unread;
    done.users += page.length;
    after = page[page.length - 1]?.userId;
    options.logger?.info({ ...done, after }, 'inbox counters: a page set');
  }
}
