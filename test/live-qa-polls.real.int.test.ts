import type { ServerFrame } from '@roomcast/contracts';
import { uniqueId, waitFor } from '@roomcast/testing';
import { startRealStack, type RealStack } from './harness/stacks';
import { WsPeer, type FrameOf } from './harness/ws-peer';

type Msg = Omit<FrameOf<'message'>, 'type' | 'roomId'>;
type Questions = { items: { seq: number; userId: string; text: string; votes: number; answered: boolean; highlighted: boolean }[] };
type Poll = { pollId: string; tallies: number[]; open: boolean; correct?: number; deadline?: number };

/**
 * Q&A and quizzes (issue #14) on the real stack: every service its own process, two gateways, real
 * Kafka, Redis and FerretDB. Questions are asked and voted on both gateways, marked by the host;
 * a quiz is voted on both and closed by its deadline — with both gateways ticking — exactly once.
 */
describe('Q&A and polls across two gateways on real infrastructure', () => {
  let stack: RealStack;
  const peers: WsPeer[] = [];
  const room = uniqueId('qa').replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 60);
  const [A, B] = [0, 1];

  beforeAll(async () => {
    stack = await startRealStack();
  }, 180_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await stack?.stop();
  }, 60_000);

  async function joinedPeer(gw: number, userId: string, roles?: Record<string, 'host' | 'moderator'>): Promise<WsPeer> {
    const peer = await WsPeer.connect(stack.gatewayUrls[gw] as string, await stack.token(userId, 600, roles));
    peers.push(peer);
    expect(await peer.request({ type: 'join', roomId: room }, 'joined')).toMatchObject({ type: 'joined' });
    return peer;
  }
  /** The room's messages a peer got (single and batched frames), with kind and data. */
  function messages(peer: WsPeer): Msg[] {
    const out: Msg[] = [];
    for (const f of peer.frames) {
      if (f.type === 'message' && f.roomId === room) out.push(f);
      else if (f.type === 'messages' && f.roomId === room) out.push(...f.messages);
    }
    return out;
  }
  function state<T>(peer: WsPeer, key: 'questions' | 'poll', match: (v: T) => boolean): Promise<T> {
    return peer
      .next('room-state', (f) => f.roomId === room && f.key === key && f.value !== null && match(f.value as T), 15_000)
      .then((f) => f.value as T);
  }
  const done = (f: ServerFrame) => (f.type === 'done' ? f.result : { error: f });

  it('questions asked and upvoted on both gateways and marked by the host reach everyone in vote order', async () => {
    const host = await joinedPeer(A, 'qa-host', { [room]: 'host' });
    const va = await joinedPeer(A, 'qa-viewer-a');
    const vb = await joinedPeer(B, 'qa-viewer-b');
    vb.send({ type: 'ask', roomId: room, clientMsgId: 'q1', text: 'when is the sale?' });
    const q1 = await waitFor(() => messages(va).find((m) => m.kind === 'question' && m.clientMsgId === 'q1'), 'question 1 on A');
    va.send({ type: 'ask', roomId: room, clientMsgId: 'q2', text: 'does it ship abroad?' });
    const q2 = await waitFor(() => messages(vb).find((m) => m.kind === 'question' && m.clientMsgId === 'q2'), 'question 2 on B');
    // both on the board (notification added them), seen on both gateways
    for (const p of [host, va, vb]) await state<Questions>(p, 'questions', (v) => v.items.length === 2);

    const upvote = (p: WsPeer, seq: number) => p.request({ type: 'vote', roomId: room, target: { kind: 'question', seq } }, 'done').then(done);
    expect(await upvote(va, q2.seq)).toEqual({ counted: true });
    expect(await upvote(vb, q2.seq)).toEqual({ counted: true });
    expect(await upvote(vb, q2.seq)).toEqual({ counted: false });
    expect(await upvote(va, q1.seq)).toEqual({ counted: true });
    expect(await upvote(va, 999_999)).toEqual({ error: expect.objectContaining({ code: 'NOT_FOUND' }) });
    // a viewer may not mark; the host may
    expect(await va.request({ type: 'host', roomId: room, action: { kind: 'question', seq: q2.seq, answered: true } }, 'done').then(done)).toEqual({
      error: expect.objectContaining({ code: 'FORBIDDEN' }),
    });
    expect(await host.request({ type: 'host', roomId: room, action: { kind: 'question', seq: q2.seq, answered: true } }, 'done').then(done)).toEqual({ seq: q2.seq });

    const expected: Questions = {
      items: [
        { seq: q2.seq, userId: 'qa-viewer-a', text: 'does it ship abroad?', votes: 2, answered: true, highlighted: false },
        { seq: q1.seq, userId: 'qa-viewer-b', text: 'when is the sale?', votes: 1, answered: false, highlighted: false },
      ],
    };
    for (const p of [host, va, vb]) expect(await state<Questions>(p, 'questions', (v) => v.items[0]?.answered === true)).toEqual(expected);
  });

  it('a quiz voted on both gateways shows live tallies and is closed by its deadline exactly once, with the correct answer', async () => {
    const host = await joinedPeer(A, 'quiz-host', { [room]: 'host' });
    const va = await joinedPeer(A, 'quiz-viewer-a');
    const vb = await joinedPeer(B, 'quiz-viewer-b');
    const opened = done(
      await host.request({ type: 'host', roomId: room, action: { kind: 'poll-open', question: '2 + 2?', options: ['3', '4', '5'], quiz: { correct: 1, durationMs: 4000 } } }, 'done'),
    ) as { pollId: string; deadline: number };
    expect(opened).toEqual({ pollId: expect.any(String), deadline: expect.any(Number) });
    const { pollId } = opened;
    for (const p of [va, vb]) {
      const announced = await waitFor(() => messages(p).find((m) => m.kind === 'poll' && m.clientMsgId === `poll-open:${pollId}`), 'the poll announced');
      expect(announced).toMatchObject({ userId: 'quiz-host', text: '2 + 2?', priority: 'high', data: { pollId, phase: 'open', options: ['3', '4', '5'], quiz: { deadline: opened.deadline } } });
      expect(announced.data).not.toHaveProperty('quiz.correct');
      expect(await state<Poll>(p, 'poll', (v) => v.pollId === pollId)).toMatchObject({ open: true, tallies: [0, 0, 0] });
    }
    const vote = (p: WsPeer, option: number) => p.request({ type: 'vote', roomId: room, target: { kind: 'poll', pollId, option } }, 'done').then(done);
    expect(await vote(va, 1)).toEqual({ counted: true });
    expect(await vote(vb, 0)).toEqual({ counted: true });
    expect(await vote(vb, 1)).toEqual({ counted: false });
    expect(await vote(host, 1)).toEqual({ counted: true });
    for (const p of [va, vb]) await state<Poll>(p, 'poll', (v) => v.pollId === pollId && v.tallies.join() === '1,2,0');

    // the deadline: both gateways tick this room; one closes it
    for (const p of [host, va, vb]) {
      const closed = await state<Poll>(p, 'poll', (v) => v.pollId === pollId && !v.open);
      expect(closed).toMatchObject({ tallies: [1, 2, 0], correct: 1, deadline: opened.deadline });
      const msg = await waitFor(() => messages(p).find((m) => m.kind === 'poll' && m.clientMsgId === `poll-close:${pollId}`), 'the close announced');
      expect(msg).toMatchObject({ userId: 'quiz-host', priority: 'high', data: { pollId, phase: 'closed', tallies: [1, 2, 0], quiz: { deadline: opened.deadline, correct: 1 } } });
    }
    expect(await vote(va, 2)).toEqual({ error: expect.objectContaining({ code: 'POLL_CLOSED' }) });
    // several ticks of both gateways later, a chat as a barrier: still one close
    await waitFor(() => Date.now() > opened.deadline + 2000, 'a few ticks past the deadline', 10_000, 100);
    expect(await host.chat(room, 'barrier', 'that was the quiz')).toMatchObject({ type: 'ack' });
    for (const p of [host, va, vb]) {
      await waitFor(() => messages(p).some((m) => m.clientMsgId === 'barrier'), 'the barrier chat');
      expect(messages(p).filter((m) => m.kind === 'poll' && m.data !== undefined && 'phase' in m.data && m.data.phase === 'closed')).toHaveLength(1);
    }
  });
});
