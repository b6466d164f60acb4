import type { Page, WebSocketRoute } from 'playwright-core';
import { ClientFrame, type ServerFrame } from '@roomcast/contracts';
import { uniqueId, waitFor } from '@roomcast/testing';
import {
  PAGE_WAIT_MS,
  chromiumExecutable,
  joinRoom,
  openSession,
  sendChat,
  shownMessages,
  type BrowserSession,
} from './harness/browser';
import { startEmbeddedStack, type Stack } from './harness/stacks';

// The moderation side of the room page (services/embedded/public) in Debian's Chromium, against a
// scripted gateway: the page's WebSocket is routed to the test (Playwright routeWebSocket), which
// plays the server's frames as docs/protocol.md and packages/contracts/src/ws.ts define them. The
// page itself, /dev/token and the history API come from the embedded start. This pins what the page
// does with each frame independently of the gateway's moderation; test/browser-moderation.int
// runs the same page against the real one.

/** The server side of one routed page socket: what the page sent (schema-checked) and a way to answer. */
class ScriptedGateway {
  readonly received: ClientFrame[] = [];
  readonly invalid: string[] = [];
  private socket: WebSocketRoute | undefined;
  connections = 0;

  constructor(private readonly onFrame: (frame: ClientFrame, gw: ScriptedGateway) => void) {}

  async install(page: Page): Promise<void> {
    await page.routeWebSocket(/\/ws\?/, (ws) => {
      this.socket = ws;
      this.connections++;
      ws.onMessage((data) => {
        const parsed = ClientFrame.safeParse(JSON.parse(String(data)));
        if (!parsed.success) {
          this.invalid.push(String(data));
          return;
        }
        this.received.push(parsed.data);
        this.onFrame(parsed.data, this);
      });
      this.send({
        type: 'welcome',
        protocol: 2,
        sessionId: 's-1',
        userId: 'u',
        gatewayId: 'scripted',
        heartbeatMs: 30_000,
      });
    });
  }

  send(frame: ServerFrame): void {
    if (!this.socket) throw new Error('the page has not connected');
    this.socket.send(JSON.stringify(frame));
  }

  close(code: number, reason: string): Promise<void> {
    if (!this.socket) throw new Error('the page has not connected');
    return this.socket.close({ code, reason });
  }

  /** The first frame the page sent that matches, waiting for it. */
  next<T extends ClientFrame['type']>(type: T, from = 0): Promise<Extract<ClientFrame, { type: T }>> {
    return waitFor(
      () => this.received.slice(from).find((f): f is Extract<ClientFrame, { type: T }> => f.type === type),
      `a ${type} frame from the page`,
      PAGE_WAIT_MS,
    );
  }
}

function message(roomId: string, seq: number, userId: string, text: string, deleted = false) {
  return {
    seq,
    id: `m-${seq}`,
    userId,
    clientMsgId: `c-${seq}`,
    text: deleted ? '' : text,
    masked: false,
    sentAt: 1_700_000_000_000,
    acceptedAt: 1_700_000_000_000,
    ...(deleted ? { deleted: true as const } : {}),
  };
}

describe('the room page: moderation frames (scripted gateway)', () => {
  let stack: Stack | undefined;
  const sessions: BrowserSession[] = [];

  beforeAll(async () => {
    [stack] = await Promise.all([startEmbeddedStack(), chromiumExecutable()]);
  }, 660_000);

  afterAll(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    await stack?.stop();
  }, 60_000);

  async function open(name: string): Promise<BrowserSession> {
    if (!stack) throw new Error('the embedded stack did not start');
    const session = await openSession(name, `${stack.historyUrl}/`, 'room-page-moderation');
    sessions.push(session);
    return session;
  }

  it('host view: hides tombstones, deletes, mutes and sets slow mode through moderate frames', async () => {
    const roomId = uniqueId('modpage');
    const host = await open('host');
    const { page } = host;
    // History on first join: seq 2 is a tombstone.
    await page.route(/\/rooms\/[^/]+\/messages\?/, (route) =>
      route.fulfill({
        json: {
          messages: [
            message(roomId, 1, 'bob', 'first'),
            message(roomId, 2, 'bob', '', true),
            message(roomId, 3, 'bob', 'third'),
          ],
        },
      }),
    );
    const gw = new ScriptedGateway((f, g) => {
      if (f.type === 'join') g.send({ type: 'joined', roomId, reqId: f.reqId, lastSeq: 3, role: 'host' });
    });
    await gw.install(page);
    const tokenBody = page
      .waitForRequest((r) => r.url().endsWith('/dev/token'))
      .then((r) => r.postDataJSON() as unknown);
    await joinRoom(host, { userId: 'hanna', roomId, host: true });
    expect(await tokenBody).toEqual({ userId: 'hanna', roles: { [roomId]: 'host' } });

    await page.waitForSelector('#host-panel', { state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await page.textContent('#role-state')).toContain('host');
    await page.waitForSelector('#messages li[data-seq="3"]', { timeout: PAGE_WAIT_MS });
    // A live batch with a tombstone in it (as a catch-up carries them): 5 is not shown either.
    gw.send({
      type: 'messages',
      roomId,
      fromSeq: 4,
      toSeq: 5,
      thinned: 0,
      messages: [message(roomId, 4, 'bob', 'fourth'), message(roomId, 5, 'bob', '', true)],
    });
    await page.waitForSelector('#messages li[data-seq="4"]', { timeout: PAGE_WAIT_MS });
    expect((await shownMessages(host)).map((m) => m.seq)).toEqual([1, 3, 4]);
    expect(await page.isVisible('#messages li[data-seq="4"] button.delete')).toBe(true);
    expect(await page.isVisible('#messages li[data-seq="4"] button.mute')).toBe(true);
    await host.screenshot('host-view');

    // Delete: the page asks, the gateway confirms and tells the room; the line goes.
    let from = gw.received.length;
    await page.click('#messages li[data-seq="4"] button.delete');
    const del = await gw.next('moderate', from);
    expect(del).toMatchObject({ roomId, action: { kind: 'delete', seq: 4 } });
    gw.send({ type: 'moderated', roomId, reqId: del.reqId, actionId: 'a-1' });
    gw.send({ type: 'deleted', roomId, seq: 4 });
    await page.waitForSelector('#messages li[data-seq="4"]', { state: 'detached', timeout: PAGE_WAIT_MS });
    await page.waitForSelector('#notices li.info:has-text("delete message #4")', { timeout: PAGE_WAIT_MS });
    expect((await shownMessages(host)).map((m) => m.seq)).toEqual([1, 3]);

    // Mute the author of 3 for 60 s; this gateway refuses it, and the page says why.
    from = gw.received.length;
    await page.click('#messages li[data-seq="3"] button.mute');
    const mute = await gw.next('moderate', from);
    expect(mute.action).toEqual({ kind: 'mute', userId: 'bob', durationMs: 60_000 });
    gw.send({
      type: 'error',
      code: 'FORBIDDEN',
      message: 'a host cannot mute a host of the room',
      temporary: false,
      reqId: mute.reqId,
    });
    await page.waitForSelector('#notices li[data-code="FORBIDDEN"]', { timeout: PAGE_WAIT_MS });

    // Slow mode from the host panel; the room's room-mode frame shows it.
    from = gw.received.length;
    await page.selectOption('#slow-mode', '10000');
    await page.click('#slow-mode-apply');
    const slow = await gw.next('moderate', from);
    expect(slow.action).toEqual({ kind: 'slow-mode', intervalMs: 10_000 });
    gw.send({ type: 'moderated', roomId, reqId: slow.reqId, actionId: 'a-2' });
    gw.send({ type: 'room-mode', roomId, slowModeMs: 10_000 });
    await page.waitForSelector('#slow-mode-state', { state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await page.textContent('#slow-mode-state')).toContain('10 s');
    await host.screenshot('host-actions');
    expect(gw.invalid).toEqual([]);
    expect(host.errors).toEqual([]);
  }, 90_000);

  it('viewer: no host view; muted badge and a MUTED refusal; a ban (4503) ends the session', async () => {
    const roomId = uniqueId('modpage');
    const viewer = await open('viewer');
    const { page } = viewer;
    const gw = new ScriptedGateway((f, g) => {
      if (f.type === 'join') g.send({ type: 'joined', roomId, reqId: f.reqId, lastSeq: 0 });
      if (f.type === 'chat')
        g.send({
          type: 'error',
          code: 'MUTED',
          message: 'muted in this room',
          temporary: true,
          clientMsgId: f.clientMsgId,
        });
    });
    await gw.install(page);
    await joinRoom(viewer, { userId: 'vic', roomId });
    gw.send({
      type: 'messages',
      roomId,
      fromSeq: 1,
      toSeq: 1,
      thinned: 0,
      messages: [message(roomId, 1, 'bob', 'hi vic')],
    });
    await page.waitForSelector('#messages li[data-seq="1"]', { timeout: PAGE_WAIT_MS });
    expect(await page.isHidden('#host-panel')).toBe(true);
    expect(await page.isHidden('#messages li[data-seq="1"] button.delete')).toBe(true);

    gw.send({ type: 'room-mode', roomId, mutedUntil: Date.now() + 60_000 });
    await page.waitForSelector('#muted-state', { state: 'visible', timeout: PAGE_WAIT_MS });
    await sendChat(viewer, 'can I talk?');
    expect(await gw.next('chat')).toMatchObject({ roomId, text: 'can I talk?' });
    const refusal = await page.waitForSelector('#notices li[data-code="MUTED"]', { timeout: PAGE_WAIT_MS });
    expect(await refusal.textContent()).toContain('you are muted until');
    await viewer.screenshot('muted');
    gw.send({ type: 'room-mode', roomId, mutedUntil: 0 });
    await page.waitForSelector('#muted-state', { state: 'hidden', timeout: PAGE_WAIT_MS });

    await gw.close(4503, 'banned');
    await page.waitForSelector('#status[data-state="closed"]', { timeout: PAGE_WAIT_MS });
    expect(await page.textContent('#status')).toContain('banned');
    expect(await page.isDisabled('#text')).toBe(true);
    expect(gw.connections).toBe(1);
    await viewer.screenshot('banned');
    expect(gw.invalid).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 90_000);
});
