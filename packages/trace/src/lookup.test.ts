import { InMemoryMessageStore } from '@roomcast/store';
import { makeStoredMessage } from '@roomcast/store/contract';
import { findFirst, parseTarget } from './lookup';

describe('parseTarget', () => {
  it('reads a message id, roomId:seq, userId:clientMsgId and a trace id', () => {
    expect(parseTarget('lq3x9a0b1c2d3e4f5a6b7c8')).toEqual({
      kind: 'message',
      refs: [{ id: 'lq3x9a0b1c2d3e4f5a6b7c8' }],
    });
    expect(parseTarget('4bf92f3577b34da6a3ce929d0e0e4736')).toEqual({
      kind: 'trace',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(parseTarget('live-1:42').kind === 'message' && parseTarget('live-1:42')).toEqual({
      kind: 'message',
      refs: [{ roomId: 'live-1', seq: 42 }, { userId: 'live-1', clientMsgId: '42' }, { id: 'live-1:42' }],
    });
    expect(parseTarget('alice:c-7')).toEqual({
      kind: 'message',
      refs: [{ userId: 'alice', clientMsgId: 'c-7' }, { id: 'alice:c-7' }],
    });
  });

  it('splits at the last colon: room and user ids may contain colons', () => {
    expect(parseTarget('eu:stage:2:17')).toEqual({
      kind: 'message',
      refs: [
        { roomId: 'eu:stage:2', seq: 17 },
        { userId: 'eu:stage:2', clientMsgId: '17' },
        { id: 'eu:stage:2:17' },
      ],
    });
    expect(parseTarget('oidc:alice:msg-0')).toMatchObject({
      refs: [{ userId: 'oidc:alice', clientMsgId: 'msg-0' }, { id: 'oidc:alice:msg-0' }],
    });
  });
});

describe('findFirst', () => {
  it('returns the first reading the store has, and which one it was', async () => {
    const store = new InMemoryMessageStore();
    const bySeq = makeStoredMessage('live-1', 42, { id: 'm-1' });
    const byClient = makeStoredMessage('other', 1, { id: 'm-2', userId: 'live-1', clientMsgId: '7' });
    await store.insertMany([bySeq, byClient]);
    const refs = (arg: string) => {
      const t = parseTarget(arg);
      return t.kind === 'message' ? t.refs : [];
    };
    await expect(findFirst(store, refs('live-1:42'))).resolves.toEqual({
      message: bySeq,
      matched: { roomId: 'live-1', seq: 42 },
    });
    // No seq 7 in room live-1: the same text read as user live-1's clientMsgId 7.
    await expect(findFirst(store, refs('live-1:7'))).resolves.toEqual({
      message: byClient,
      matched: { userId: 'live-1', clientMsgId: '7' },
    });
    await expect(findFirst(store, refs('m-2'))).resolves.toMatchObject({ message: byClient });
    await expect(findFirst(store, refs('nobody:1'))).resolves.toBeUndefined();
  });
});
