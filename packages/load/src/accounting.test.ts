import { consolidateRooms, expectedFromReports } from './accounting';
import type { RoomReport } from './ipc';

const report = (p: Partial<RoomReport> & Pick<RoomReport, 'room'>): RoomReport => ({
  roomId: `r${p.room}`,
  members: 0,
  acked: 0,
  rejected: 0,
  maxSeq: 0,
  ends: [],
  ...p,
});

describe('expected-count accounting', () => {
  it('expected = accepted messages x members, summed over workers and rooms', () => {
    // Room 0: 3 members on worker A (incl. the sender, who acked 10), 2 on worker B.
    // Room 1: 4 members, 5 acked of which 1 rejected by the filter.
    const a = [
      report({ room: 0, members: 3, acked: 10, maxSeq: 10 }),
      report({ room: 1, members: 1, acked: 5, rejected: 1, maxSeq: 4 }),
    ];
    const b = [report({ room: 0, members: 2, maxSeq: 10 }), report({ room: 1, members: 3, maxSeq: 4 })];
    const acc = consolidateRooms([...a, ...b]);
    expect(acc.rooms.map((r) => [r.members, r.accepted, r.expected])).toEqual([
      [5, 10, 50],
      [4, 4, 16],
    ]);
    expect(acc.expected).toBe(66);
    expect(expectedFromReports([...a, ...b])).toBe(66);
  });

  it('splits missing messages into gaps (holes), undelivered (open member tail) and lost to closes', () => {
    const acc = consolidateRooms([
      report({
        room: 0,
        members: 3,
        acked: 10,
        maxSeq: 10,
        ends: [
          { max: 10, holes: 0, thinned: 0, closed: false }, // got everything
          { max: 8, holes: 1, thinned: 0, closed: false }, // one hole (gap) + tail of 2 (undelivered)
          { max: 4, holes: 1, thinned: 0, closed: true }, // hole before the close is a gap; 6 after it are lost
        ],
      }),
    ]);
    expect(acc.gaps).toBe(2);
    expect(acc.undelivered).toBe(2);
    expect(acc.lostToCloses).toBe(6);
    expect(acc.rooms[0]?.closedMembers).toBe(1);
  });

  it('takes the final seq from the acks when no member saw the last message', () => {
    const acc = consolidateRooms([
      report({
        room: 0,
        members: 1,
        acked: 5,
        maxSeq: 3,
        ends: [{ max: 3, holes: 0, thinned: 0, closed: false }],
      }),
    ]);
    expect(acc.rooms[0]?.finalSeq).toBe(5);
    expect(acc.undelivered).toBe(2);
    expect(acc.gaps).toBe(0);
  });

  it('expects nothing from rejected messages', () => {
    const acc = consolidateRooms([report({ room: 0, members: 4, acked: 3, rejected: 3 })]);
    expect(acc.expected).toBe(0);
  });

  it('counts thinned seqs per room apart from gaps and tails (delivered + thinned + gaps + ... = expected)', () => {
    // 10 accepted, 3 members: one got all, one had 4 thinned, one had 3 thinned and a hole of 2.
    const acc = consolidateRooms([
      report({
        room: 0,
        members: 3,
        acked: 10,
        maxSeq: 10,
        ends: [
          { max: 10, holes: 0, thinned: 0, closed: false },
          { max: 10, holes: 0, thinned: 4, closed: false },
          { max: 10, holes: 2, thinned: 3, closed: false },
        ],
      }),
    ]);
    expect(acc.thinned).toBe(7);
    expect(acc.rooms[0]?.thinned).toBe(7);
    expect(acc.gaps).toBe(2);
    expect(acc.undelivered).toBe(0);
    const delivered = 10 + 6 + 5;
    expect(delivered + acc.thinned + acc.gaps + acc.undelivered + acc.lostToCloses).toBe(acc.expected);
  });
});
