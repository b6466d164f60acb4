import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '@roomcast/contracts';
import { Counter } from '@roomcast/service-kit';
import { Connection, type SendBudget } from './connection';

/** Just what Connection touches of a ws socket; `bufferedAmount` is set by the test. */
class FakeSocket {
  bufferedAmount = 0;
  readyState = 1;
  readonly sent: (Buffer | string)[] = [];
  readonly closes: [number, string][] = [];
  send(frame: Buffer | string): void {
    this.sent.push(frame);
  }
  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }
}

/** The TCP socket under it: what sendFramed writes. */
class FakeTcp {
  readonly written: Buffer[] = [];
  write(b: Buffer): boolean {
    this.written.push(b);
    return true;
  }
}

function setup(): { ws: FakeSocket; tcp: FakeTcp; conn: Connection; budget: SendBudget } {
  const ws = new FakeSocket();
  const tcp = new FakeTcp();
  const budget: SendBudget = {
    softBytes: 100,
    hardBytes: 1000,
    dropped: new Counter(),
    slowClosed: new Counter(),
  };
  return {
    ws,
    tcp,
    conn: new Connection(
      'c1',
      'alice',
      ws as unknown as WebSocket,
      tcp as unknown as Duplex,
      2,
      budget,
      { ratePerSec: 1, burst: 1 },
    ),
    budget,
  };
}

describe('Connection.send budget', () => {
  it('sends everything below the soft budget', () => {
    const { ws, conn } = setup();
    ws.bufferedAmount = 100;
    conn.send('a');
    conn.send('b', true);
    expect(ws.sent).toEqual(['a', 'b']);
  });

  it('drops droppable frames above the soft budget and counts them, but still sends the rest', () => {
    const { ws, conn, budget } = setup();
    ws.bufferedAmount = 101;
    conn.send('likes', true);
    conn.send('message');
    expect(ws.sent).toEqual(['message']);
    expect(budget.dropped.value).toBe(1);
    expect(ws.closes).toEqual([]);
  });

  it('closes with SLOW_CONSUMER above the hard budget, once, and sends nothing after', () => {
    const { ws, conn, budget } = setup();
    ws.bufferedAmount = 1001;
    conn.send('message');
    conn.send('another');
    ws.bufferedAmount = 0;
    conn.send('after');
    expect(ws.sent).toEqual([]);
    expect(ws.closes).toEqual([[CLOSE_CODES.SLOW_CONSUMER, 'slow consumer']]);
    expect(budget.slowClosed.value).toBe(1);
    expect(conn.closed).toBe(true);
  });

  it('applies the same budgets to pre-framed writes, which go to the TCP socket as they are', () => {
    const { ws, tcp, conn, budget } = setup();
    const frame = Buffer.from([0x81, 1, 0x61]);
    expect(conn.sendFramed(frame)).toBe(true);
    expect(tcp.written).toEqual([frame]);
    ws.bufferedAmount = 101;
    expect(conn.sendFramed(frame, true)).toBe(false);
    expect(budget.dropped.value).toBe(1);
    expect(conn.sendFramed(frame)).toBe(true);
    ws.bufferedAmount = 1001;
    expect(conn.sendFramed(frame)).toBe(false);
    expect(ws.closes).toEqual([[CLOSE_CODES.SLOW_CONSUMER, 'slow consumer']]);
    expect(tcp.written).toHaveLength(2);
  });

  it('writes nothing raw once the WebSocket is no longer open (a close frame may be on the wire)', () => {
    const { ws, tcp, conn } = setup();
    ws.readyState = 2; // CLOSING: the peer started the close handshake
    expect(conn.sendFramed(Buffer.from([0x81, 0]))).toBe(false);
    expect(tcp.written).toEqual([]);
  });
});
