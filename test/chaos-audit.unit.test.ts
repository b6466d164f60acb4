import { audit, failures, type SentMessage, type StoredMessage, type ViewerLog } from '../bench/chaos/audit';

const ROOM = 'r1';

function sent(n: number, over: Partial<SentMessage> = {}): SentMessage {
  return {
    userId: 'sender-0',
    clientMsgId: `sender-0-${n}`,
    roomId: ROOM,
    blocked: false,
    attempts: 1,
    acked: true,
    rejected: false,
    firstSentAt: 0,
    ...over,
  };
}

function stored(seq: number, n = seq, over: Partial<StoredMessage> = {}): StoredMessage {
  return { roomId: ROOM, seq, userId: 'sender-0', clientMsgId: `sender-0-${n}`, acceptedAt: 0, ...over };
}

function viewer(seqs: number[], over: Partial<ViewerLog> = {}): ViewerLog {
  return {
    id: 'viewer-0',
    rooms: [ROOM],
    received: seqs.map((seq) => ({ roomId: ROOM, seq, userId: 'sender-0', clientMsgId: `sender-0-${seq}` })),
    lostRanges: [],
    sdk: { recovered: 0, lost: 0, gaps: 0, duplicatesDropped: 0, reconnects: 0, thinned: 0 },
    ...over,
  };
}

describe('chaos audit', () => {
  it('passes a run where every acked message is stored once and every viewer has every seq once', () => {
    const a = audit([sent(1), sent(2), sent(3)], [stored(1), stored(2), stored(3)], [viewer([1, 2, 3])]);
    expect(a.counts).toMatchObject({
      sent: 3,
      acked: 3,
      accepted: 3,
      persisted: 3,
      lost: 0,
      duplicated: 0,
      gapsAfterRecovery: 0,
    });
    expect(failures(a, 0, [])).toEqual([]);
  });

  it('counts an acked message neither stored nor rejected as lost, and a rejected one as rejected', () => {
    const a = audit(
      [sent(1), sent(2), sent(3, { blocked: true, rejected: true }), sent(4, { blocked: true })],
      [stored(1)],
      [viewer([1])],
    );
    expect(a.counts).toMatchObject({ acked: 4, rejected: 1, lost: 2 });
    expect(a.checks.blockedUnnotified).toBe(1);
    expect(a.checks.lostRejectionUndelivered).toBe(0);
    expect(a.lostSample.map((m) => m.clientMsgId)).toEqual(['sender-0-2', 'sender-0-4']);
    expect(failures(a, 0, [])).toContainEqual(expect.stringMatching(/^lost: 2/));
  });

  it('tells a rejection the filter made but the sender never got from one never made', () => {
    const a = audit(
      [sent(1, { blocked: true }), sent(2, { blocked: true })],
      [],
      [viewer([])],
      [{ userId: 'sender-0', clientMsgId: 'sender-0-2' }],
    );
    expect(a.counts.lost).toBe(2);
    expect(a.checks).toMatchObject({ blockedUnnotified: 2, lostRejectionUndelivered: 1 });
  });

  it('does not count an unacked message as lost, even when nothing stored it', () => {
    const a = audit([sent(1), sent(2, { acked: false, attempts: 5 })], [stored(1)], [viewer([1])]);
    expect(a.counts).toMatchObject({ unacked: 1, lost: 0, attempts: 6 });
  });

  it('counts a message stored twice (one clientMsgId under two seqs) as duplicated', () => {
    const a = audit([sent(1), sent(2)], [stored(1), stored(2), stored(3, 2)], [viewer([1, 2, 3])]);
    expect(a.counts).toMatchObject({ duplicatedStored: 1, duplicated: 1 });
    expect(a.duplicateSample).toEqual([{ userId: 'sender-0', clientMsgId: 'sender-0-2', seqs: [2, 3] }]);
  });

  it('counts a seq a viewer emitted twice as duplicated', () => {
    const a = audit([sent(1), sent(2)], [stored(1), stored(2)], [viewer([1, 2, 2])]);
    expect(a.counts.duplicatedDelivered).toBe(1);
    expect(failures(a, 0, [])).toContainEqual(expect.stringMatching(/emitted twice/));
  });

  it('finds gaps between first and last seen, misses before the first and after the last', () => {
    const a = audit(
      [1, 2, 3, 4, 5, 6].map((n) => sent(n)),
      [1, 2, 3, 4, 5, 6].map((n) => stored(n)),
      [viewer([2, 3, 5])],
    );
    const [v] = a.viewers;
    expect(v).toMatchObject({
      gapsAfterRecovery: 1,
      missedAtStart: 1,
      behindAtEnd: 1,
      missingSample: { [ROOM]: [1, 4, 6] },
    });
    expect(a.counts.gapsAfterRecovery).toBe(3);
  });

  it('counts a room a viewer saw nothing of as behind by all of it', () => {
    const a = audit([sent(1), sent(2)], [stored(1), stored(2)], [viewer([])]);
    expect(a.viewers[0]).toMatchObject({ behindAtEnd: 2, gapsAfterRecovery: 0 });
  });

  it('fails on what the SDK gave up, on a seq that carries another message than the stored one, and on the DLQ', () => {
    const conflicting = viewer([1], {
      received: [{ roomId: ROOM, seq: 1, userId: 'sender-0', clientMsgId: 'sender-0-9' }],
      sdk: { recovered: 0, lost: 2, gaps: 1, duplicatesDropped: 0, reconnects: 1, thinned: 0 },
    });
    const a = audit([sent(1)], [stored(1)], [conflicting]);
    expect(a.counts).toMatchObject({ sdkLost: 2, seqConflicts: 1 });
    const why = failures(a, 3, ['fault kafka: did not come back']);
    expect(why).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/SDK gave up 2/),
        expect.stringMatching(/seq conflicts: 1/),
        "dlq: 3 records in this run's *.dlq topics",
        'fault kafka: did not come back',
      ]),
    );
  });

  it('reports stored seq holes, blocked messages stored and documents no sender sent', () => {
    const a = audit(
      [sent(1), sent(2, { blocked: true })],
      [stored(1), stored(2), stored(5, 9, { userId: 'stranger', clientMsgId: 'x' })],
      [viewer([1, 2])],
    );
    expect(a.checks).toEqual({
      blockedStored: 1,
      blockedUnnotified: 0,
      lostRejectionUndelivered: 0,
      storedSeqHoles: 2,
      storedUnknown: 1,
    });
  });

  it('fails a run that acked nothing', () => {
    expect(failures(audit([], [], []), 0, [])).toEqual(['no message was acked: the load did not run']);
  });
});
