import { randomBytes } from 'node:crypto';
import type { MessageBus } from '@roomcast/bus';
import type { ChatSubmittedV1, TopicNames } from '@roomcast/contracts';
import { publishEvent } from '@roomcast/service-kit';
import type { LiveFeatures } from './live-actions';
import type { ClosedPoll, PollBox, PollValue } from './polls';

export interface PollFeaturesDeps {
  box: PollBox;
  /** Where the poll's announcements (messages of kind `poll`) are published: chat.message.submitted.v1. */
  bus: MessageBus;
  topics: TopicNames;
  /** The gateway publishing (the submission's gatewayId). */
  gatewayId: string;
  /** ms since epoch; default Date.now. */
  clock?: () => number;
}

/** A new poll's id: short enough that `poll-close:<pollId>` fits a clientMsgId (64). */
export function newPollId(): string {
  return `p${randomBytes(8).toString('hex')}`;
}

/**
 * Polls and quizzes behind the gateway's frames. `host poll-open` opens the room's poll (closing
 * an open one) and announces it; `vote {target: poll}` counts once per user; `host poll-close`
 * and, for a quiz, the deadline (checked by every gateway's tick for its rooms) close it and
 * announce the results. The announcements are messages of kind `poll` (high priority) published
 * like chat in the opener's name with clientMsgId `poll-open:<pollId>` / `poll-close:<pollId>`,
 * so a retried publish yields one message; the box closes a poll for exactly one caller, so
 * several gateways ticking the same room announce its close once. A close announcement stays owed
 * in the box until it was published: if the closer fails to publish it (Kafka down) or dies first,
 * a later tick of a gateway with the room takes it over once the closer's lease ran out (at least
 * once; chat-ingest's dedup makes a repeat one message). Tallies are room state.
 */
export function pollFeatures(deps: PollFeaturesDeps): LiveFeatures {
  const clock = deps.clock ?? Date.now;

  async function announce(roomId: string, userId: string, clientMsgId: string, poll: PollValue, phase: 'open' | 'closed'): Promise<void> {
    const now = clock();
    const data: ChatSubmittedV1['data'] = {
      pollId: poll.pollId,
      phase,
      question: poll.question,
      options: poll.options,
      ...(poll.deadline !== undefined
        ? { quiz: { deadline: poll.deadline, ...(phase === 'closed' && poll.correct !== undefined ? { correct: poll.correct } : {}) } }
        : {}),
      ...(phase === 'closed' ? { tallies: poll.tallies } : {}),
    };
    await publishEvent(deps.bus, deps.topics, 'chatSubmitted', {
      roomId,
      userId,
      clientMsgId,
      text: phase === 'open' ? poll.question : `poll closed: ${poll.question}`,
      sentAt: now,
      gatewayId: deps.gatewayId,
      submittedAt: now,
      kind: 'poll',
      data,
      priority: 'high',
    });
  }

  async function announceClosed(c: ClosedPoll): Promise<void> {
    await announce(c.roomId, c.by, `poll-close:${c.poll.pollId}`, c.poll, 'closed');
    await deps.box.announced(c.roomId, c.poll.pollId);
  }

  return {
    votePoll: (roomId, userId, pollId, option) => deps.box.vote(roomId, pollId, userId, option, clock()),
    host: {
      'poll-open': async (roomId, actor, action) => {
        const pollId = newPollId();
        const quiz = action.quiz !== undefined ? { correct: action.quiz.correct, deadline: clock() + action.quiz.durationMs } : undefined;
        const poll = { pollId, question: action.question, options: action.options, by: actor.userId, ...(quiz !== undefined ? { quiz } : {}) };
        const previous = await deps.box.open(roomId, poll, clock());
        if (previous !== null) await announceClosed(previous);
        await announce(roomId, actor.userId, `poll-open:${pollId}`, {
          pollId,
          question: poll.question,
          options: poll.options,
          tallies: poll.options.map(() => 0),
          open: true,
          ...(quiz !== undefined ? { deadline: quiz.deadline } : {}),
        }, 'open');
        return { pollId, ...(quiz !== undefined ? { deadline: quiz.deadline } : {}) };
      },
      'poll-close': async (roomId, _actor, action) => {
        const closed = await deps.box.closePoll(roomId, action.pollId, clock());
        if (closed !== null) await announceClosed(closed);
        return { closed: closed !== null, ...(closed !== null ? { tallies: closed.poll.tallies } : {}) };
      },
    },
    async tick(roomIds) {
      // Closed quizzes, and owed announcements taken over from a closer that did not publish them.
      const closed = await deps.box.closeDue(roomIds, clock());
      await Promise.all(closed.map(announceClosed));
    },
  };
}
