import { uniqueId } from '@roomcast/testing';
import {
  PAGE_WAIT_MS,
  joinRoom,
  sendChat,
  shownMessages,
  usePageStack,
} from './harness/browser';

// Two people on the room page (services/embedded/public), each in their own Debian Chromium, against
// the embedded start as its own process: what one sends, likes and is counted as, the other sees.
describe('two browser sessions in one room', () => {
  const { open } = usePageStack('browser-chat');

  it("alice's chat, bob's likes and both as online show on both pages", async () => {
    const roomId = uniqueId('page2');
    const alice = await open('alice');
    const bob = await open('bob');
    await Promise.all([
      joinRoom(alice, { userId: 'alice', roomId }),
      joinRoom(bob, { userId: 'bob', roomId }),
    ]);

    await sendChat(alice, 'hello bob 👋');
    await bob.page.waitForSelector('#messages li[data-seq="1"]', { timeout: PAGE_WAIT_MS });
    await alice.page.waitForSelector('#messages li[data-seq="1"]', { timeout: PAGE_WAIT_MS });
    for (const s of [alice, bob]) {
      expect(await shownMessages(s)).toEqual([{ seq: 1, userId: 'alice', text: 'hello bob 👋' }]);
    }
    // The sender's own message is marked as such on its page only.
    expect(await alice.page.getAttribute('#messages li[data-seq="1"]', 'class')).toContain('mine');
    expect((await bob.page.getAttribute('#messages li[data-seq="1"]', 'class')) ?? '').not.toContain('mine');

    for (let i = 0; i < 3; i++) await bob.page.click('#like');
    // Alice's counter comes from the server's rolled-up total; bob's own clicks show at once.
    await alice.page.waitForFunction(() => document.querySelector('#likes')?.textContent === '3', undefined, {
      timeout: PAGE_WAIT_MS,
    });
    await bob.page.waitForFunction(() => document.querySelector('#likes')?.textContent === '3', undefined, {
      timeout: PAGE_WAIT_MS,
    });
    for (const s of [alice, bob]) {
      await s.page.waitForFunction(() => document.querySelector('#online')?.textContent === '2', undefined, {
        timeout: PAGE_WAIT_MS,
      });
    }

    await Promise.all([alice.screenshot('chat'), bob.screenshot('chat')]);
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  }, 90_000);
});
