import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium, uniqueId, waitFor } from '@roomcast/testing';
import { connectViewer, type Viewer } from './harness/scenario';
import { startEmbeddedStack, type Stack } from './harness/stacks';

// The room page (services/embedded/public) in Debian's Chromium against the embedded start: it
// declares protocol 2, renders batch frames in seq order, marks system notices, and counts
// messages thinned out of a very hot room (room 'thin-*' has a budget of 2 msgs/s here).
describe('the room page in a browser', () => {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const sockets: Viewer[] = [];

  beforeAll(async () => {
    const [started, chromiumPath] = await Promise.all([
      startEmbeddedStack({ DELIVERY_THIN_ROOMS: 'thin-*=2' }),
      // Installs Debian's chromium when missing (root + apt-get).
      ensureChromium(),
    ]);
    stack = started;
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...CHROMIUM_ARGS] });
  }, 660_000);

  afterAll(async () => {
    for (const v of sockets) v.client.close();
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  async function openRoom(roomId: string) {
    if (!stack || !browser) throw new Error('stack or browser did not start');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const wsUrls: string[] = [];
    page.on('websocket', (ws) => wsUrls.push(ws.url()));
    await page.goto(stack.historyUrl);
    await page.fill('#name', uniqueId('viewer').slice(0, 30));
    await page.fill('#room', roomId);
    await page.click('#join');
    await page.waitForSelector('#status[data-state="joined"]', { timeout: 20_000 });
    return { page, errors, wsUrls };
  }

  async function sender(roomId: string): Promise<Viewer> {
    if (!stack) throw new Error('stack did not start');
    const v = await connectViewer(stack, stack.gatewayUrls[0] as string, uniqueId('sender').slice(0, 30));
    sockets.push(v);
    await v.client.join(roomId);
    return v;
  }

  it('declares protocol 2 and shows a burst of messages and a system notice in seq order', async () => {
    const roomId = uniqueId('page');
    const { page, errors, wsUrls } = await openRoom(roomId);
    try {
      expect(wsUrls.some((u) => new URL(u).searchParams.get('protocol') === '2')).toBe(true);
      const s = await sender(roomId);
      // Sent back to back: they reach the page in batch frames.
      await Promise.all(Array.from({ length: 8 }, (_, i) => s.client.chat(roomId, `burst ${i + 1}`)));
      const notice = await fetch(`${stack?.noticeUrl}/rooms/${roomId}/notices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack?.adminToken}` },
        body: JSON.stringify({ text: 'the show starts now' }),
      });
      expect(notice.status).toBe(202);
      await page.waitForSelector('#messages li[data-seq="9"]', { timeout: 20_000 });
      const shown = await page.$$eval('#messages li[data-seq]', (lis) =>
        lis.map((li) => ({
          seq: Number(li.getAttribute('data-seq')),
          text: li.querySelector('.body')?.textContent,
          notice: li.classList.contains('notice'),
        })),
      );
      expect(shown.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(shown.slice(0, 8).map((m) => m.text)).toEqual(
        Array.from({ length: 8 }, (_, i) => `burst ${i + 1}`),
      );
      expect(shown[8]).toEqual({ seq: 9, text: 'the show starts now', notice: true });
      expect(shown.slice(0, 8).some((m) => m.notice)).toBe(false);
      expect(await page.isHidden('#thinned-wrap')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('counts what a thinned room left out instead of showing a hole as loss', async () => {
    const roomId = uniqueId('thin');
    const { page, errors } = await openRoom(roomId);
    try {
      const s = await sender(roomId);
      await Promise.all(Array.from({ length: 12 }, (_, i) => s.client.chat(roomId, `hot ${i + 1}`)));
      await waitFor(
        async () => (await page.isVisible('#thinned-wrap')) || undefined,
        'the thinned counter',
        20_000,
      );
      const thinned = Number(await page.textContent('#thinned'));
      // The sender gets all 12 (its own); the page, a viewer, gets the budget's share.
      await waitFor(
        () => s.messages.length === 12 || undefined,
        'the sender to see all of its messages',
        20_000,
      );
      await waitFor(
        async () =>
          Number(await page.textContent('#thinned')) + (await page.$$('#messages li[data-seq]')).length >=
            12 || undefined,
        'every seq shown or counted as thinned',
        20_000,
      );
      const shown = await page.$$eval('#messages li[data-seq]', (lis) =>
        lis.map((li) => Number(li.getAttribute('data-seq'))),
      );
      expect(thinned).toBeGreaterThan(0);
      expect(shown.length + Number(await page.textContent('#thinned'))).toBe(12);
      expect(shown).toEqual([...shown].sort((a, b) => a - b));
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
