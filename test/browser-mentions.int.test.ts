import { uniqueId, waitFor } from '@roomcast/testing';
import { PAGE_WAIT_MS, joinRoom, sendChat, type BrowserSession, usePageStack } from './harness/browser';

// @mentions, replies and the inbox on the room page (live-mentions.js), each user in their own
// Debian Chromium against the embedded start: ann mentions bob with `@bob` in the composer and
// replies to his message with the ↩ button; bob sees the highlight, the notices and his inbox
// badge, and marks all read. carl, mentioned while offline, finds it in his inbox when he joins.
describe('mentions, replies and the inbox on the room page', () => {
  const { open, stack } = usePageStack('browser-mentions');
  const badge = (s: BrowserSession) => s.page.textContent('#inbox-unread');

  it('ann mentions and replies to bob (highlight, notices, inbox badge, mark all read); offline carl finds it in his inbox', async () => {
    const roomId = uniqueId('at');
    const ann = await open('ann');
    const bob = await open('bob');
    await joinRoom(ann, { userId: 'ann', roomId });
    await joinRoom(bob, { userId: 'bob', roomId });
    expect(await badge(bob)).toBe('0');

    await sendChat(bob, 'anyone here?');
    await ann.page.waitForSelector('#messages li[data-seq="1"]', { timeout: PAGE_WAIT_MS });
    await sendChat(ann, 'hey @bob and @carl, look');
    const mentioned = await bob.page.waitForSelector('#messages li[data-seq="2"].mentions-me', { timeout: PAGE_WAIT_MS });
    expect(await mentioned.textContent()).toContain('hey @bob and @carl, look');
    await bob.page.waitForSelector('#notices li.info:has-text("ann mentioned you")', { timeout: PAGE_WAIT_MS });
    // The sender's own copy is not highlighted.
    await ann.page.waitForSelector('#messages li[data-seq="2"]', { timeout: PAGE_WAIT_MS });
    expect(await ann.page.$('#messages li[data-seq="2"].mentions-me')).toBeNull();

    await ann.page.click('#messages li[data-seq="1"] button.reply-btn');
    await ann.page.waitForSelector('#reply-chip:has-text("replying to bob")', { timeout: PAGE_WAIT_MS });
    await sendChat(ann, 'yes, right here');
    await bob.page.waitForSelector('#messages li[data-seq="3"].mentions-me .reply-to:has-text("#1")', { timeout: PAGE_WAIT_MS });
    await bob.page.waitForSelector('#notices li.info:has-text("ann replied")', { timeout: PAGE_WAIT_MS });
    await bob.page.waitForSelector('#inbox-unread:has-text("2")', { timeout: PAGE_WAIT_MS });
    expect(await bob.page.$$eval('#inbox-list li.unread', (lis) => lis.map((li) => li.textContent))).toEqual([
      `↩ ann in #${roomId}: yes, right here`,
      `@ ann in #${roomId}: hey @bob and @carl, look`,
    ]);
    await Promise.all([ann.screenshot('ann-replying'), bob.screenshot('bob-mentioned')]);

    await bob.page.click('#inbox-read-all');
    await bob.page.waitForSelector('#inbox-unread:has-text("0")', { timeout: PAGE_WAIT_MS });
    expect(await bob.page.$$('#inbox-list li.unread')).toHaveLength(0);
    await bob.screenshot('bob-read-all');

    // carl was offline: his inbox has the mention (persistence wrote it); the page shows it at join.
    const token = await stack().token('carl');
    await waitFor(async () => {
      const res = await fetch(`${stack().historyUrl}/inbox`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { unread: number }).unread === 1 ? true : undefined;
    }, "carl's inbox entry", PAGE_WAIT_MS);
    const carl = await open('carl');
    await joinRoom(carl, { userId: 'carl', roomId });
    await carl.page.waitForSelector('#inbox-unread:has-text("1")', { timeout: PAGE_WAIT_MS });
    expect(await carl.page.textContent('#inbox-list li.unread')).toBe(`@ ann in #${roomId}: hey @bob and @carl, look`);
    await carl.screenshot('carl-inbox');
    for (const s of [ann, bob, carl]) expect(s.errors).toEqual([]);
  }, 120_000);
});
