import { InMemoryMessageBus, type BusRecord, type MessageBus } from '@roomcast/bus';
import { ChatSubmittedV1, resolveTopics } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { silentLogger } from '@roomcast/logger';
import { InMemoryRoomStateHub } from '@roomcast/room-state';
import { uniqueId, waitFor } from '@roomcast/testing';
import { LiveActions, type LiveActor } from './live-actions';
import { DEFAULT_ANNOUNCE_LEASE_MS } from './polls';
import { InMemoryPollBox } from './polls.memory';
import { pollFeatures } from './polls-features';
import { InMemoryQuestionBoard } from './questions.memory';
import { questionFeatures } from './questions-features';

const host: LiveActor = { userId: 'h', role: 'host' };
const mod: LiveActor = { userId: 'm', role: 'moderator' };
const viewer = (userId: string): LiveActor => ({ userId, role: 'viewer' });

describe('questionFeatures', () => {
  it('upvotes once per user, lets a moderator mark, and leaves refusals by role to LiveActions', async () => {
    const hub = new InMemoryRoomStateHub();
    const board = new InMemoryQuestionBoard(hub);
    const live = new LiveActions([questionFeatures(board)]);
    await board.add('show', [{ seq: 4, userId: 'ann', text: 'when?', at: 1 }]);
    expect(await live.vote('show', viewer('bob'), { kind: 'question', seq: 4 })).toEqual({ counted: true });
    expect(await live.vote('show', viewer('bob'), { kind: 'question', seq: 4 })).toEqual({ counted: false });
    await expect(live.vote('show', viewer('bob'), { kind: 'question', seq: 5 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const refused: unknown = await live.host('show', viewer('bob'), { kind: 'question', seq: 4, answered: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('FORBIDDEN');
    expect(await live.host('show', mod, { kind: 'question', seq: 4, answered: true })).toEqual({ seq: 4 });
    expect(hub.get('show', 'questions')).toEqual({ items: [{ seq: 4, userId: 'ann', text: 'when?', votes: 1, answered: true, highlighted: false }] });
  });
});

describe('pollFeatures', () => {
  const topics = resolveTopics(`${uniqueId('p')}.`);
  let bus: InMemoryMessageBus;
  let submitted: ChatSubmittedV1[];

  beforeEach(async () => {
    bus = new InMemoryMessageBus({ logger: silentLogger() });
    submitted = [];
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [topics.chatSubmitted],
      fromBeginning: true,
      handler: async (rs: BusRecord[]) => void submitted.push(...rs.map((r) => ChatSubmittedV1.parse(JSON.parse(String(r.value))))),
    });
    await sub.ready;
  });
  afterEach(async () => {
    await bus.close();
  });

  it('opens a poll with a high-priority announcement, counts votes once, and announces the close once', async () => {
    const hub = new InMemoryRoomStateHub();
    const live = new LiveActions([pollFeatures({ box: new InMemoryPollBox(hub), bus, topics, gatewayId: 'gw-a', clock: () => 1000 })]);
    const opened = await live.host('show', host, { kind: 'poll-open', question: 'tea or coffee?', options: ['tea', 'coffee'] });
    const pollId = String(opened.pollId);
    await expect(live.host('show', viewer('v'), { kind: 'poll-close', pollId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await live.vote('show', viewer('v1'), { kind: 'poll', pollId, option: 1 })).toEqual({ counted: true });
    expect(await live.vote('show', viewer('v1'), { kind: 'poll', pollId, option: 0 })).toEqual({ counted: false });
    await expect(live.vote('show', viewer('v2'), { kind: 'poll', pollId, option: 2 })).rejects.toMatchObject({ code: 'POLL_CLOSED' });
    expect(hub.get('show', 'poll')).toMatchObject({ pollId, tallies: [0, 1], open: true });
    expect(await live.host('show', host, { kind: 'poll-close', pollId })).toEqual({ closed: true, tallies: [0, 1] });
    expect(await live.host('show', host, { kind: 'poll-close', pollId })).toEqual({ closed: false });
    await expect(live.vote('show', viewer('v2'), { kind: 'poll', pollId, option: 0 })).rejects.toMatchObject({ code: 'POLL_CLOSED' });
    await waitFor(() => submitted.length === 2, 'two announcements', 5000);
    expect(submitted[0]).toMatchObject({
      roomId: 'show',
      userId: 'h',
      clientMsgId: `poll-open:${pollId}`,
      text: 'tea or coffee?',
      gatewayId: 'gw-a',
      kind: 'poll',
      priority: 'high',
      data: { pollId, phase: 'open', question: 'tea or coffee?', options: ['tea', 'coffee'] },
    });
    expect(submitted[1]).toMatchObject({ clientMsgId: `poll-close:${pollId}`, kind: 'poll', priority: 'high', data: { pollId, phase: 'closed', tallies: [0, 1] } });
  });

  it('closes a quiz at its deadline once when several gateways tick, with the correct answer', async () => {
    const hub = new InMemoryRoomStateHub();
    const box = new InMemoryPollBox(hub);
    let now = 10_000;
    const clock = () => now;
    const a = new LiveActions([pollFeatures({ box, bus, topics, gatewayId: 'gw-a', clock })]);
    const b = new LiveActions([pollFeatures({ box, bus, topics, gatewayId: 'gw-b', clock })]);
    const opened = await a.host('show', host, { kind: 'poll-open', question: '2 + 2?', options: ['3', '4'], quiz: { correct: 1, durationMs: 5000 } });
    expect(opened).toEqual({ pollId: expect.any(String), deadline: 15_000 });
    const pollId = String(opened.pollId);
    expect(await b.vote('show', viewer('v1'), { kind: 'poll', pollId, option: 1 })).toEqual({ counted: true });
    await Promise.all([a.tick(['show']), b.tick(['show'])]);
    expect(hub.get('show', 'poll')).toMatchObject({ open: true });
    expect(hub.get('show', 'poll')).not.toHaveProperty('correct');
    now = 15_000;
    await expect(a.vote('show', viewer('v2'), { kind: 'poll', pollId, option: 1 })).rejects.toMatchObject({ code: 'POLL_CLOSED' });
    await Promise.all([a.tick(['show', 'other']), b.tick(['show'])]);
    await a.tick(['show']);
    expect(hub.get('show', 'poll')).toEqual({ pollId, question: '2 + 2?', options: ['3', '4'], tallies: [0, 1], open: false, deadline: 15_000, correct: 1 });
    await waitFor(() => submitted.length >= 2, 'open and close announcements', 5000);
    const closes = submitted.filter((s) => s.clientMsgId === `poll-close:${pollId}`);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ userId: 'h', data: { phase: 'closed', quiz: { deadline: 15_000, correct: 1 }, tallies: [0, 1] } });
    expect(submitted[0]?.data).toEqual({ pollId, phase: 'open', question: '2 + 2?', options: ['3', '4'], quiz: { deadline: 15_000 } });
  });

  it('announces a close whose publish failed at a later tick of another gateway, once the closer\'s lease ran out', async () => {
    const hub = new InMemoryRoomStateHub();
    const box = new InMemoryPollBox(hub);
    let now = 10_000;
    const clock = () => now;
    // gateway A's Kafka is down: its publishes fail
    const down = new Proxy(bus, {
      get(target, key, receiver) {
        if (key === 'publish') return async () => Promise.reject(new AppError('BUS_UNAVAILABLE', 'kafka is down'));
        const v: unknown = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    }) as MessageBus;
    const a = new LiveActions([pollFeatures({ box, bus: down, topics, gatewayId: 'gw-a', clock })]);
    const b = new LiveActions([pollFeatures({ box, bus, topics, gatewayId: 'gw-b', clock })]);
    const pollId = String((await b.host('show', host, { kind: 'poll-open', question: 'tea?', options: ['yes', 'no'] })).pollId);
    await b.vote('show', viewer('v1'), { kind: 'poll', pollId, option: 0 });
    // the host closes it on A: the poll is closed, the announcement fails there
    await expect(a.host('show', host, { kind: 'poll-close', pollId })).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
    expect(hub.get('show', 'poll')).toMatchObject({ pollId, open: false, tallies: [1, 0] });
    // B's ticks leave it to A while A's lease runs, then announce it — once
    await b.tick(['show']);
    now += DEFAULT_ANNOUNCE_LEASE_MS;
    await b.tick(['show']);
    await b.tick(['show']);
    now += 10 * DEFAULT_ANNOUNCE_LEASE_MS;
    await b.tick(['show']);
    await waitFor(() => submitted.some((s) => s.clientMsgId === `poll-close:${pollId}`), 'the close announcement', 5000);
    await new Promise((r) => setTimeout(r, 50));
    const closes = submitted.filter((s) => s.clientMsgId === `poll-close:${pollId}`);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ userId: 'h', gatewayId: 'gw-b', data: { pollId, phase: 'closed', tallies: [1, 0] } });
  });

  it('announces the close of the open poll when the host opens another', async () => {
    const hub = new InMemoryRoomStateHub();
    const live = new LiveActions([pollFeatures({ box: new InMemoryPollBox(hub), bus, topics, gatewayId: 'gw-a' })]);
    const first = String((await live.host('show', host, { kind: 'poll-open', question: 'one?', options: ['a', 'b'] })).pollId);
    const second = String((await live.host('show', host, { kind: 'poll-open', question: 'two?', options: ['c', 'd'] })).pollId);
    await waitFor(() => submitted.length === 3, 'three announcements', 5000);
    expect(submitted.map((s) => s.clientMsgId)).toEqual([`poll-open:${first}`, `poll-close:${first}`, `poll-open:${second}`]);
    expect(hub.get('show', 'poll')).toMatchObject({ pollId: second, open: true });
  });
});
