import { isUtf8 } from 'node:buffer';
import { ClientFrame, MAX_FRAME_BYTES, MAX_ROOMS_PER_CONNECTION } from '@roomcast/contracts';
import { FAMILY_NAMES, FrameFuzzer, socketSeed, type FuzzCase } from './harness/frame-fuzz';

// The generator of the protocol fuzz (test/protocol-fuzz.int.test.ts): deterministic per seed, and
// each case's expectation consistent with the wire rules it claims (sizes, UTF-8, JSON) and with the
// client frame schemas. A wrong expectation here would make the fuzz test fail a correct gateway,
// or pass a wrong one.

const OPTIONS = {
  userId: 'fuzz-0',
  maxFrameBytes: MAX_FRAME_BYTES,
  maxRooms: MAX_ROOMS_PER_CONNECTION,
  refreshTokens: [
    { label: 'good', token: 'a.b.c', outcome: 'refreshed' as const },
    { label: 'bad', token: 'nope', outcome: 'UNAUTHORIZED' as const },
  ],
};

function take(seed: number, n: number): FuzzCase[] {
  const f = new FrameFuzzer(seed, OPTIONS);
  return Array.from({ length: n }, () => f.next());
}

function bytesOf(c: FuzzCase): Buffer {
  return typeof c.payload === 'string' ? Buffer.from(c.payload) : c.payload;
}

describe('FrameFuzzer', () => {
  it('is deterministic per seed, and seeds differ per socket', () => {
    const a = take(12345, 3000).map((c) => bytesOf(c).toString('base64'));
    expect(take(12345, 3000).map((c) => bytesOf(c).toString('base64'))).toEqual(a);
    expect(take(12346, 3000).map((c) => bytesOf(c).toString('base64'))).not.toEqual(a);
    expect(socketSeed(1, 0)).not.toBe(socketSeed(1, 1));
  });

  const cases = take(0x5eed2026, 20_000);

  it('covers every family, with closing cases near 1.5%', () => {
    expect(new Set(cases.map((c) => c.family))).toEqual(new Set(FAMILY_NAMES));
    const closing = cases.filter((c) => c.expect.kind === 'close').length / cases.length;
    expect(closing).toBeGreaterThan(0.005);
    expect(closing).toBeLessThan(0.03);
  });

  it('expects 1009 exactly for messages over the byte cap, 1007 for invalid UTF-8 text, and an answer otherwise', () => {
    const wrong: string[] = [];
    for (const c of cases) {
      const bytes = bytesOf(c);
      const over = bytes.length > MAX_FRAME_BYTES;
      const utf8 = isUtf8(bytes);
      const ok =
        c.expect.kind === 'close'
          ? c.expect.code === 1009
            ? over
            : c.expect.code === 1007 && !over && !c.binary && !utf8
          : !over && (c.binary || utf8);
      const splitsOk = (c.splits ?? []).every((at) => at > 0 && at < bytes.length);
      if (!ok || !splitsOk) wrong.push(`${c.family} ${bytes.length} B expecting ${JSON.stringify(c.expect)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('agrees with the client frame schemas: refused frames expect BAD_FRAME or FRAME_TOO_LARGE, accepted ones a reply', () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const c of cases) {
      if (c.binary || c.expect.kind === 'close') continue;
      const text = bytesOf(c).toString();
      const what = `${c.family} ${text.slice(0, 200)} expecting ${JSON.stringify(c.expect)}`;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        // Not JSON: BAD_FRAME, nothing echoed.
        if (c.expect.kind !== 'error' || c.expect.code !== 'BAD_FRAME' || c.expect.reqId !== undefined)
          wrong.push(`not JSON: ${what}`);
        continue;
      }
      const valid = ClientFrame.safeParse(raw).success;
      const refused =
        c.expect.kind === 'error' && (c.expect.code === 'BAD_FRAME' || c.expect.code === 'FRAME_TOO_LARGE');
      if (valid === refused) wrong.push(`schema says ${valid ? 'valid' : 'invalid'}: ${what}`);
      if ('reqId' in c.expect && c.expect.reqId !== undefined && c.expect.reqId.length > 64)
        wrong.push(`echoes an invalid reqId: ${what}`);
      checked++;
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(13_000);
  });

  it('follows the room cap: a join past it expects TOO_MANY_ROOMS, and a chat right behind it NOT_IN_ROOM', () => {
    const f = new FrameFuzzer(7, OPTIONS);
    let refusedPairs = 0;
    let previous: FuzzCase | undefined;
    let maxRooms = 0;
    for (let i = 0; i < 100_000 && refusedPairs < 5; i++) {
      const c = f.next();
      maxRooms = Math.max(maxRooms, f.joinedRooms().size);
      if (
        previous?.expect.kind === 'error' &&
        previous.expect.code === 'TOO_MANY_ROOMS' &&
        c.family === 'stateful-room'
      ) {
        const frame = JSON.parse(bytesOf(c).toString()) as { type: string; roomId: string };
        const join = JSON.parse(bytesOf(previous).toString()) as { roomId: string };
        if (frame.roomId === join.roomId && (frame.type === 'chat' || frame.type === 'like')) {
          expect(c.expect).toMatchObject({ kind: 'error', code: 'NOT_IN_ROOM' });
          refusedPairs++;
        }
      }
      previous = c;
    }
    expect(refusedPairs).toBe(5);
    expect(maxRooms).toBe(MAX_ROOMS_PER_CONNECTION);
  });
});
