import { uniqueId } from '@roomcast/testing';
import { PAGE_WAIT_MS, joinRoom, usePageStack } from './harness/browser';

// Gifts on the room page (issue #14): a fan sends gifts with the gift buttons in one Debian
// Chromium; a viewer in another sees the gift pop on the stage with its combo counter growing, the
// top-gifters panel from the `leaderboard` room state, and the gifts decorated in the chat list.
// The embedded start counts combos and the leaderboard in chat-ingest (the ledger's memory twin).
describe('gifts on the room page, between two browsers', () => {
  // A wide combo window, so clicks on a loaded machine stay one combo.
  const { open } = usePageStack('browser-gifts', { GIFT_COMBO_WINDOW_MS: '10000' });

  it('a fan sends roses and a rocket; the viewer sees the pop with its combo counter and the leaderboard', async () => {
    const roomId = uniqueId('gifts');
    const fan = await open('fan');
    const viewer = await open('viewer');
    await joinRoom(fan, { userId: 'fanny', roomId });
    await joinRoom(viewer, { userId: 'vic', roomId });
    await viewer.page.waitForSelector('#gift-leaderboard .empty', { state: 'visible', timeout: PAGE_WAIT_MS });

    await fan.page.click('#gift-bar button[data-gift="rose"]');
    const pop = '#stage .gift-pop[data-gift="rose"]';
    await viewer.page.waitForSelector(`${pop}[data-count="1"]`, { timeout: PAGE_WAIT_MS });
    await fan.page.click('#gift-bar button[data-gift="rose"]');
    await fan.page.click('#gift-bar button[data-gift="rose"]');
    // The same pop counts on: ×3.
    await viewer.page.waitForSelector(`${pop}[data-count="3"]`, { timeout: PAGE_WAIT_MS });
    expect(await viewer.page.locator(pop).count()).toBe(1);
    expect(await viewer.page.textContent(`${pop} .combo`)).toBe('×3');
    await Promise.all([viewer.screenshot('combo-x3'), fan.screenshot('combo-x3')]);

    await fan.page.click('#gift-bar button[data-gift="rocket"]');
    await viewer.page.waitForSelector('#stage .gift-pop[data-gift="rocket"]', { timeout: PAGE_WAIT_MS });
    // Roses are worth 1, a rocket 100 (GIFT_VALUES default).
    await viewer.page.waitForSelector('#gift-leaderboard li[data-user="fanny"] .total:has-text("103")', {
      timeout: PAGE_WAIT_MS,
    });
    expect(await viewer.page.isHidden('#gift-leaderboard .empty')).toBe(true);

    // The chat list shows the gifts with their emoji, the third rose with its combo.
    await viewer.page.waitForSelector('#messages li.gift[data-seq="4"]', { timeout: PAGE_WAIT_MS });
    const listed = await viewer.page.$$eval('#messages li.gift', (lis) =>
      lis.map((li) => [li.querySelector('.body')?.textContent, li.querySelector('.gift-combo')?.textContent ?? null]),
    );
    expect(listed).toEqual([
      ['🌹 sent 1 × rose', null],
      ['🌹 sent 1 × rose', 'combo ×2'],
      ['🌹 sent 1 × rose', 'combo ×3'],
      ['🚀 sent 1 × rocket', null],
    ]);
    await Promise.all([viewer.screenshot('leaderboard'), fan.screenshot('leaderboard')]);
    expect(fan.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 120_000);
});
