import { PassThrough } from 'node:stream';
import { AppError } from '@roomcast/errors';
import { silentLogger } from '@roomcast/logger';
import { InMemoryPresenceStore, type ConnectionKind } from '@roomcast/presence';
import { Counter } from '@roomcast/service-kit';
import { waitFor } from '@roomcast/testing';
import { ConnectionCaps } from './connection-caps';

/** The in-memory store whose admitConnection waits for `gate` (a slow Redis) while it is set. */
class GatedPresence extends InMemoryPresenceStore {
  gate: Promise<void> | undefined;
  releases = 0;

  override async admitConnection(kind: ConnectionKind, id: string, gatewayId: string, cap: number, ttlMs: number): Promise<boolean> {
    if (this.gate) await this.gate;
    return super.admitConnection(kind, id, gatewayId, cap, ttlMs);
  }

  override async releaseConnection(kind: ConnectionKind, id: string, gatewayId: string): Promise<void> {
    await super.releaseConnection(kind, id, gatewayId);
    this.releases++;
  }
}

function setup(maxPerUser: number) {
  const presence = new GatedPresence();
  const refused = { user: new Counter(), ip: new Counter() };
  const failedOpen = { user: new Counter(), ip: new Counter() };
  const caps = new ConnectionCaps({ gatewayId: 'gw-a', maxPerUser, maxPerIp: 0, ttlMs: 60_000 }, presence, { refused, failedOpen }, silentLogger());
  return { presence, caps, refused };
}

/** Another gateway asks for a slot of alice under `cap`, and gives it back at once. */
async function slotFree(presence: InMemoryPresenceStore, cap: number): Promise<boolean> {
  const ok = await presence.admitConnection('user', 'alice', 'gw-b', cap, 60_000);
  if (ok) await presence.releaseConnection('user', 'alice', 'gw-b');
  return ok;
}

describe('ConnectionCaps', () => {
  it('gives back a slot the store granted after the socket had closed, and the local one at the close', async () => {
    const { presence, caps } = setup(1);
    let openGate = (): void => undefined;
    presence.gate = new Promise<void>((r) => (openGate = r));
    const socket = new PassThrough();
    const admitted = caps.admit('alice', '203.0.113.7', socket);
    // The local slot is taken before the store answers: a second handshake is refused at once.
    expect(await caps.admit('alice', '203.0.113.8', new PassThrough())).toBeInstanceOf(AppError);
    socket.destroy();
    await new Promise((r) => socket.once('close', r));
    presence.gate = undefined;
    openGate();
    expect(await admitted).toBeUndefined();
    await waitFor(() => presence.releases === 1, 'the late grant given back', 2000, 5);
    expect(await slotFree(presence, 1)).toBe(true);
    // And the local slot: alice is admitted here again.
    expect(await caps.admit('alice', '203.0.113.7', new PassThrough())).toBeUndefined();
  });

  it('releases once when the socket closes, however often close is seen, and reports what it holds', async () => {
    const { presence, caps, refused } = setup(2);
    const a = new PassThrough();
    const b = new PassThrough();
    expect(await caps.admit('alice', 'ip', a)).toBeUndefined();
    expect(await caps.admit('alice', 'ip', b)).toBeUndefined();
    expect(await slotFree(presence, 2)).toBe(false);
    expect((await caps.admit('alice', 'ip', new PassThrough()))?.code).toBe('TOO_MANY_CONNECTIONS');
    expect(refused.user.value).toBe(1);
    a.destroy();
    await new Promise((r) => a.once('close', r));
    a.emit('close');
    await waitFor(() => presence.releases === 1, 'one release', 2000, 5);
    // b still holds its slot: one is free, not two.
    expect(await slotFree(presence, 2)).toBe(true);
    expect(await slotFree(presence, 1)).toBe(false);
    // The report sets the store to this gateway's own tally (1), the stop's release to nothing.
    await caps.report();
    expect(await slotFree(presence, 1)).toBe(false);
    await caps.releaseAll();
    expect(await slotFree(presence, 1)).toBe(true);
  });
});
