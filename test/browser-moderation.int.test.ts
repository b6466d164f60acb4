import { uniqueId } from '@roomcast/testing';
import {
  PAGE_WAIT_MS,
  joinRoom,
  sendChat,
  shownMessages,
  usePageStack,
} from './harness/browser';

// Moderation end to end on the room page: a host (a token with the host role, asked for by "join as
// host") and a viewer, each in their own Debian Chromium, against the embedded start's real gateway.
// The page's reaction to each frame alone is pinned by test/room-page.moderation.int.
describe('a host moderating a viewer, both on the room page', () => {
  const { open } = usePageStack('browser-moderation');

  it("the host deletes the viewer's message and mutes the viewer, whose next chat is refused", async () => {
    const roomId = uniqueId('mod');
    const host = await open('host');
    const viewer = await open('viewer');
    await joinRoom(host, { userId: 'hanna', roomId, host: true });
    await joinRoom(viewer, { userId: 'vic', roomId });
    await host.page.waitForSelector('#host-panel', { state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await viewer.page.isHidden('#host-panel')).toBe(true);

    await sendChat(viewer, 'please delete me');
    for (const s of [host, viewer])
      await s.page.waitForSelector('#messages li[data-seq="1"]', { timeout: PAGE_WAIT_MS });
    await Promise.all([host.screenshot('before-delete'), viewer.screenshot('before-delete')]);

    await host.page.click('#messages li[data-seq="1"] button.delete');
    for (const s of [viewer, host])
      await s.page.waitForSelector('#messages li[data-seq="1"]', {
        state: 'detached',
        timeout: PAGE_WAIT_MS,
      });
    await host.page.waitForSelector('#notices li.info:has-text("delete message #1")', {
      timeout: PAGE_WAIT_MS,
    });
    expect(await shownMessages(viewer)).toEqual([]);
    await viewer.screenshot('after-delete');

    await sendChat(viewer, 'still here');
    await host.page.waitForSelector('#messages li[data-seq="2"]', { timeout: PAGE_WAIT_MS });
    await host.page.click('#messages li[data-seq="2"] button.mute');
    await host.page.waitForSelector('#notices li.info:has-text("mute vic")', { timeout: PAGE_WAIT_MS });
    await viewer.page.waitForSelector('#muted-state', { state: 'visible', timeout: PAGE_WAIT_MS });

    await sendChat(viewer, 'can I still talk?');
    const refusal = await viewer.page.waitForSelector('#notices li[data-code="MUTED"]', {
      timeout: PAGE_WAIT_MS,
    });
    expect(await refusal.textContent()).toContain('can I still talk?');
    await Promise.all([host.screenshot('after-mute'), viewer.screenshot('muted')]);
    // The refused chat reached nobody.
    expect((await shownMessages(host)).map((m) => m.text)).toEqual(['still here']);
    expect(host.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 120_000);
});
