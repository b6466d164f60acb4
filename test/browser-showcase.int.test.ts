import { uniqueId } from '@roomcast/testing';
import { PAGE_WAIT_MS, joinRoom, type BrowserSession, usePageStack } from './harness/browser';

// The pinned message and the flash sale on the room page (issue #14): a host and a viewer, each in
// their own Debian Chromium, against the embedded start (memory twins behind the real gateway).
describe('a host pinning a message and selling a product to a viewer, both on the room page', () => {
  const { open } = usePageStack('browser-showcase');
  const text = (s: BrowserSession, selector: string): Promise<string | null> => s.page.textContent(selector);

  it('the viewer sees the pinned bar and the product card, buys until it is sold out, and the unpin', async () => {
    const roomId = uniqueId('shop');
    const host = await open('host');
    const viewer = await open('viewer');
    await joinRoom(host, { userId: 'hanna', roomId, host: true });
    await joinRoom(viewer, { userId: 'vic', roomId });
    await host.page.waitForSelector('#showcase-host', { state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await viewer.page.isHidden('#showcase-host')).toBe(true);

    // pin
    await host.page.click('#showcase-host summary');
    await host.page.fill('#showcase-pin-text', 'Flash sale: mugs at 8pm');
    await host.page.click('#showcase-pin');
    await viewer.page.waitForSelector('#showcase-pinned', { state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await text(viewer, '#showcase-pinned-text')).toBe('Flash sale: mugs at 8pm');
    expect(await viewer.page.isHidden('#showcase-unpin')).toBe(true);
    await viewer.page.waitForSelector('#messages li[data-kind="pin"]', { timeout: PAGE_WAIT_MS });

    // push a product with 2 in stock
    await host.page.fill('#showcase-p-id', 'mug-1');
    await host.page.fill('#showcase-p-title', 'Roomcast mug');
    await host.page.fill('#showcase-p-price', '12.99');
    await host.page.fill('#showcase-p-stock', '2');
    await host.page.click('#showcase-push');
    await viewer.page.waitForSelector('#showcase-product', { state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await text(viewer, '#showcase-product .title')).toBe('Roomcast mug');
    expect(await text(viewer, '#showcase-product .price')).toContain('12.99');
    expect(await text(viewer, '#showcase-stock')).toBe('2 left');
    await viewer.page.waitForSelector('#messages li[data-kind="product"]', { timeout: PAGE_WAIT_MS });
    await Promise.all([host.screenshot('product-pushed'), viewer.screenshot('product-shown')]);

    // buy twice: the stock falls on both pages, then sold out, announced once
    await viewer.page.click('#showcase-buy');
    await viewer.page.waitForSelector('#showcase-stock:has-text("1 left")', { timeout: PAGE_WAIT_MS });
    await host.page.waitForSelector('#showcase-stock:has-text("1 left")', { timeout: PAGE_WAIT_MS });
    await viewer.page.waitForSelector('#notices li.info:has-text("bought 1 × Roomcast mug")', { timeout: PAGE_WAIT_MS });
    await viewer.page.click('#showcase-buy');
    for (const s of [viewer, host]) {
      await s.page.waitForSelector('#showcase-product.sold-out', { timeout: PAGE_WAIT_MS });
      await s.page.waitForSelector('#messages li[data-kind="sold-out"]', { timeout: PAGE_WAIT_MS });
    }
    expect(await text(viewer, '#showcase-stock')).toBe('Sold out');
    expect(await viewer.page.isDisabled('#showcase-buy')).toBe(true);
    expect(await text(viewer, '#messages li[data-kind="sold-out"] .body')).toBe('Sold out: Roomcast mug');
    expect(await viewer.page.locator('#messages li[data-kind="sold-out"]').count()).toBe(1);
    await Promise.all([host.screenshot('sold-out'), viewer.screenshot('sold-out')]);

    // restock: back on sale
    await host.page.fill('#showcase-set-stock', '5');
    await host.page.click('#showcase-set-stock-btn');
    await viewer.page.waitForSelector('#showcase-stock:has-text("5 left")', { timeout: PAGE_WAIT_MS });
    expect(await viewer.page.isDisabled('#showcase-buy')).toBe(false);

    // unpin
    await host.page.click('#showcase-unpin');
    await viewer.page.waitForSelector('#showcase-pinned', { state: 'hidden', timeout: PAGE_WAIT_MS });
    await viewer.page.waitForSelector('#messages li[data-kind="pin"]:has-text("unpinned the message")', { timeout: PAGE_WAIT_MS });
    await viewer.screenshot('unpinned');
    expect(host.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 120_000);
});
