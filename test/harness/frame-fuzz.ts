/**
 * A seeded generator of malformed (and a few valid) client frames for the protocol fuzz test
 * (test/protocol-fuzz.int.test.ts). Each case carries what the gateway must answer, derived from
 * how the case was built and the rules of docs/protocol.md — not from the gateway's own schemas —
 * so a gateway that answers differently fails the test.
 *
 * Deterministic: one seed gives the same cases in the same order on every run (`FrameFuzzer` per
 * socket, seeded with `socketSeed(seed, i)`). The test prints the seed when it fails; set
 * FUZZ_SEED to replay a run.
 */

/**
 * The `error` codes a malformed or refused frame may get, with their `temporary` flag, as
 * docs/protocol.md ("Error codes in `error` frames") documents them.
 */
export const DOCUMENTED_FRAME_ERRORS = {
  BAD_FRAME: { temporary: false },
  FRAME_TOO_LARGE: { temporary: false },
  NOT_IN_ROOM: { temporary: false },
  TOO_MANY_ROOMS: { temporary: false },
  UNAUTHORIZED: { temporary: false },
  TOKEN_EXPIRED: { temporary: false },
} as const;
export type FrameErrorCode = keyof typeof DOCUMENTED_FRAME_ERRORS;

/** mulberry32: small, fast, good enough to spread cases; not for anything secret. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }
}

/** The seed of fuzz socket `index`: distinct streams from one run seed. */
export function socketSeed(seed: number, index: number): number {
  return (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
}

/** What the gateway must do with one case. `reqId`/`clientMsgId` undefined = absent from the reply. */
export type Expectation =
  | { kind: 'error'; code: FrameErrorCode; reqId?: string; clientMsgId?: string }
  | { kind: 'pong'; reqId?: string }
  | { kind: 'left'; roomId: string; reqId?: string }
  | { kind: 'joined'; roomId: string; reqId?: string }
  | { kind: 'ack'; roomId: string; clientMsgId: string }
  | { kind: 'refreshed'; reqId?: string }
  /** A valid `like` in a joined room: no reply. */
  | { kind: 'none' }
  /** The gateway closes the socket with this WebSocket close code. */
  | { kind: 'close'; code: number };

export interface FuzzCase {
  /** The family that built it (the outcome counts are per family). */
  family: string;
  /** What goes on the wire: one message, or several fragments of one (`fin` on the last). */
  payload: string | Buffer;
  /** Byte offsets where the message is split into fragments (sorted, inside the payload). */
  splits?: number[];
  binary: boolean;
  expect: Expectation;
}

/** A `refresh` token and its documented outcome. */
export interface RefreshTokenCase {
  label: string;
  token: string;
  outcome: 'refreshed' | 'UNAUTHORIZED' | 'TOKEN_EXPIRED';
}

export interface FrameFuzzerOptions {
  /** The user of the socket (its chats must arrive under this id). */
  userId: string;
  /** WS_MAX_PAYLOAD_BYTES of the gateway under test. */
  maxFrameBytes: number;
  /** WS_MAX_ROOMS_PER_CONNECTION of the gateway under test. */
  maxRooms: number;
  /** Tokens for `refresh` frames, each with its outcome (made by the test: they need the secret). */
  refreshTokens: readonly RefreshTokenCase[];
}

/**
 * Rooms the stateful family joins: names that are also keys of Object.prototype or look like
 * numbers (valid room ids all), so a room registry keyed by a plain object would show it. Shared by
 * every fuzz socket, so their chats meet in these rooms; one viewer checks their seq order.
 */
export const ODD_ROOMS: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
  'length',
  'NaN',
  'Infinity',
  'undefined',
  'null',
  '0',
  '-1',
  '.',
  ':',
  '_',
  'a'.repeat(64),
];
/** More joinable rooms, so a socket reaches the room cap. */
const FILLER_ROOMS: readonly string[] = Array.from({ length: 24 }, (_, i) => `fz-${i}`);
const JOINABLE_ROOMS: readonly string[] = [...ODD_ROOMS, ...FILLER_ROOMS];

/** Room ids that fail `[A-Za-z0-9_.:-]{1,64}`. */
const INVALID_ROOM_IDS: readonly string[] = [
  '',
  'a'.repeat(65),
  'room with space',
  'room/slash',
  '../etc/passwd',
  '%2e%2e',
  'r\u00f6\u00f6m',
  'r\u043e\u043em', // Cyrillic o: looks like "room"
  'room\n',
  'room\u0000',
  '\u{1F600}',
  '\ud800',
  'room#1',
  'a*',
  ' ',
  '\u200broom',
];

/** `type` values that name no client frame (server frame types and prototype keys among them). */
const UNKNOWN_TYPES: readonly string[] = [
  '',
  'Join',
  'JOIN',
  ' join',
  'join ',
  'join\u0000',
  'chat\u200b',
  'pingg',
  'joined',
  'welcome',
  'message',
  'messages',
  'error',
  'pong',
  'ack',
  'refreshed',
  'likes',
  'online',
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'undefined',
  'null',
];

/** Numbers written as JSON text that no numeric field accepts (count 1–100, afterSeq/sentAt safe ints ≥ 0). */
const INVALID_NUMBER_LITERALS: readonly string[] = [
  '1e400', // Infinity after JSON.parse
  '-1e400',
  '1e308',
  '-1e308',
  '9007199254740992', // 2^53: not a safe integer
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  '-1',
  '0.5',
  '1.0000000000000002',
  '4.9e-324',
  '-4.9e-324',
];
/** Spellings JSON allows for 100, which `count` accepts. */
const VALID_COUNT_100_LITERALS: readonly string[] = [
  '1E2',
  '1e2',
  '100.0',
  '100.000',
  '0.1e3',
  '10e1',
  '1e+2',
];
/** Strings that look like numbers; numeric fields refuse strings. */
const NUMBER_LIKE_STRINGS: readonly string[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '0x10',
  '1',
  '',
  ' 1',
  '1n',
];

/** JSON values, by JSON type, for wrong-type mutations. */
const NON_STRINGS: readonly unknown[] = [null, true, false, 0, 1, -1, 1.5, [], ['x'], {}, { a: 'x' }];
const NON_NUMBERS: readonly unknown[] = [null, true, false, '', '1', 'x', [], [1], {}, { n: 1 }];

/** Unicode that is valid in a JSON string (lone surrogates included: JSON escapes allow them). */
const UNICODE_PIECES: readonly string[] = [
  'a',
  'Z',
  ' ',
  '\u00e9', // é
  'e\u0301', // e + combining acute
  '\u4e2d', // 中 (3 bytes)
  '\u{1F600}', // 😀 (2 units, 4 bytes)
  '\u{1F469}\u200d\u{1F4BB}', // ZWJ sequence
  '\u{1F1FA}\u{1F1F8}', // flag
  '\u200b', // zero-width space
  '\ufeff', // BOM
  '\u202e', // right-to-left override
  '\u0000',
  '\u001f',
  '\u007f',
  '\uffff',
  '\ufffe',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\u2028', // line separator
  '"',
  '\\',
  '\n',
  '</script>',
];

/** Byte sequences a UTF-8 decoder must refuse (RFC 3629); each makes a text frame invalid. */
const INVALID_UTF8: readonly number[][] = [
  [0x80], // lone continuation byte
  [0xbf],
  [0xc0, 0xaf], // overlong '/'
  [0xc0, 0x80], // overlong NUL
  [0xe0, 0x80, 0xaf], // overlong
  [0xed, 0xa0, 0x80], // UTF-16 surrogate encoded (CESU-8)
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf5, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xf0, 0x9f, 0x98], // truncated 4-byte sequence
  [0xc3], // truncated 2-byte sequence
];

const WS_MESSAGE_TOO_BIG = 1009;
const WS_INVALID_PAYLOAD = 1007;

type Obj = Record<string, unknown>;
type KnownType = 'join' | 'leave' | 'chat' | 'like' | 'ping' | 'refresh';
const KNOWN_TYPES: readonly KnownType[] = ['join', 'leave', 'chat', 'like', 'ping', 'refresh'];
/** Fields of each client frame and their JSON type (docs/protocol.md, "Client → server"). */
const FIELDS: Record<KnownType, Record<string, 'string' | 'number'>> = {
  join: { type: 'string', roomId: 'string', reqId: 'string', afterSeq: 'number' },
  leave: { type: 'string', roomId: 'string', reqId: 'string' },
  chat: { type: 'string', roomId: 'string', clientMsgId: 'string', text: 'string', sentAt: 'number' },
  like: { type: 'string', roomId: 'string', count: 'number' },
  ping: { type: 'string', reqId: 'string' },
  refresh: { type: 'string', token: 'string', reqId: 'string' },
};
const MAX_REQ_ID_CHARS = 64;
const MAX_CLIENT_MSG_ID_CHARS = 64;
const MAX_TEXT_CHARS = 500;

/**
 * The reqId an error frame echoes: the frame's own, when it is a valid one (a string of at most
 * 64 UTF-16 units), whatever else is wrong with the frame (docs/protocol.md, `error`).
 */
export function echoedReqId(frame: unknown): string | undefined {
  const reqId = typeof frame === 'object' && frame !== null ? (frame as Obj).reqId : undefined;
  return typeof reqId === 'string' && reqId.length <= MAX_REQ_ID_CHARS ? reqId : undefined;
}

type Family = { name: string; weight: number; make: (f: FrameFuzzer) => FuzzCase };

/**
 * The families and their shares of the cases. Closing cases (oversized, invalid UTF-8) are kept
 * near 1.5%: each costs a reconnect.
 */
const FAMILIES: readonly Family[] = [
  { name: 'bad-json', weight: 13, make: (f) => f.badJson() },
  { name: 'not-object', weight: 5, make: (f) => f.notObject() },
  { name: 'deep-nesting', weight: 5, make: (f) => f.deepNesting() },
  { name: 'wrong-type', weight: 13, make: (f) => f.wrongType() },
  { name: 'bad-value', weight: 12, make: (f) => f.badValue() },
  { name: 'unknown-type', weight: 5, make: (f) => f.unknownType() },
  { name: 'huge-number', weight: 6, make: (f) => f.hugeNumber() },
  { name: 'number-like-string', weight: 3, make: (f) => f.numberLikeString() },
  { name: 'prototype-keys', weight: 7, make: (f) => f.prototypeKeys() },
  { name: 'duplicate-keys', weight: 2, make: (f) => f.duplicateKeys() },
  { name: 'long-string', weight: 5, make: (f) => f.longString() },
  { name: 'text-too-long', weight: 3, make: (f) => f.textTooLong() },
  { name: 'unicode', weight: 6, make: (f) => f.unicode() },
  { name: 'extra-fields', weight: 4, make: (f) => f.extraFields() },
  { name: 'stateful-room', weight: 5, make: (f) => f.statefulRoom() },
  { name: 'refresh', weight: 3, make: (f) => f.refresh() },
  { name: 'binary', weight: 3, make: (f) => f.binaryFrame() },
  { name: 'size-boundary', weight: 1.5, make: (f) => f.sizeBoundary() },
  { name: 'fragmented', weight: 1.5, make: (f) => f.fragmented() },
  { name: 'oversized', weight: 0.5, make: (f) => f.oversized() },
  { name: 'invalid-utf8', weight: 0.6, make: (f) => f.invalidUtf8() },
];
const TOTAL_WEIGHT = FAMILIES.reduce((s, fam) => s + fam.weight, 0);
/** Families a fragmented message may carry: stateless, never closing by themselves. */
const FRAGMENTABLE: readonly ((f: FrameFuzzer) => FuzzCase)[] = FAMILIES.filter(
  (fam) => !['stateful-room', 'size-boundary', 'fragmented', 'oversized', 'invalid-utf8'].includes(fam.name),
).map((fam) => fam.make);

/** Family names, for reports. */
export const FAMILY_NAMES: readonly string[] = FAMILIES.map((fam) => fam.name);

/**
 * Cases for one socket. It models the socket's rooms as the gateway will see them (frames are
 * handled in the order sent), so the stateful family knows whether a join, chat or like must
 * succeed. After a case that closes the socket the model starts over (a new connection is in no
 * room).
 */
export class FrameFuzzer {
  readonly rng: Rng;
  private readonly rooms = new Set<string>();
  /** Cases that must follow the previous one directly (a join and a chat behind it). */
  private readonly queued: FuzzCase[] = [];
  private serial = 0;

  constructor(
    seed: number,
    private readonly options: FrameFuzzerOptions,
  ) {
    this.rng = new Rng(seed);
  }

  /** The next case. */
  next(): FuzzCase {
    const queued = this.queued.shift();
    if (queued) return queued;
    let r = this.rng.next() * TOTAL_WEIGHT;
    let family = FAMILIES[FAMILIES.length - 1] as Family;
    for (const fam of FAMILIES) {
      r -= fam.weight;
      if (r < 0) {
        family = fam;
        break;
      }
    }
    const c = family.make(this);
    return this.bySize(c);
  }

  /** Starts the model over: the socket was reconnected after an unexpected close or a stall. */
  restart(): void {
    this.rooms.clear();
    this.queued.length = 0;
  }

  /** Rooms the socket is in (the model), for tests of the generator. */
  joinedRooms(): ReadonlySet<string> {
    return this.rooms;
  }

  // ---------------------------------------------------------------- helpers

  /** Over maxFrameBytes, any message closes the socket with 1009, whatever its content. */
  private bySize(c: FuzzCase): FuzzCase {
    const bytes = typeof c.payload === 'string' ? Buffer.byteLength(c.payload) : c.payload.length;
    if (bytes > this.options.maxFrameBytes)
      return this.closing({ ...c, expect: { kind: 'close', code: WS_MESSAGE_TOO_BIG } });
    return c;
  }

  /** A case after which the connection is gone: the next socket starts in no room. */
  private closing(c: FuzzCase): FuzzCase {
    this.restart();
    return c;
  }

  private text(family: string, payload: string, expect: Expectation): FuzzCase {
    return { family, payload, binary: false, expect };
  }

  /** A BAD_FRAME case for a frame object (or any JSON value), echoing its valid reqId. */
  private badFrame(family: string, frame: unknown, payload = JSON.stringify(frame)): FuzzCase {
    return this.text(family, payload, { kind: 'error', code: 'BAD_FRAME', reqId: echoedReqId(frame) });
  }

  private id(prefix: string): string {
    return `${prefix}${this.serial++}`;
  }

  /** A room this socket is not in (so chat and like get NOT_IN_ROOM). */
  private otherRoom(): string {
    for (;;) {
      const room = this.rng.chance(0.3) ? this.rng.pick(JOINABLE_ROOMS) : `nj-${this.rng.int(1_000_000)}`;
      if (!this.rooms.has(room)) return room;
    }
  }

  private reqId(): string | undefined {
    if (this.rng.chance(0.3)) return undefined;
    return this.rng.chance(0.2) ? this.unicodeString(1, MAX_REQ_ID_CHARS) : this.id('q');
  }

  /** A string of `min`..`max` UTF-16 units from UNICODE_PIECES (pieces are never cut). */
  unicodeString(min: number, max: number): string {
    const target = this.rng.range(min, max);
    let s = '';
    while (s.length < target) {
      const piece = this.rng.pick(UNICODE_PIECES);
      if (s.length + piece.length > max) break;
      s += piece;
    }
    while (s.length < min) s += 'a';
    return s;
  }

  private asciiString(length: number): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}[]":,';
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[this.rng.int(alphabet.length)];
    return s;
  }

  /** A valid frame of `type` for a room this socket is not in, and what the gateway answers. */
  private validFrame(type: KnownType): { frame: Obj; expect: Expectation } {
    const reqId = this.reqId();
    switch (type) {
      case 'join': {
        // Used only as a base for mutations (a valid join changes the socket's rooms).
        const frame: Obj = { type, roomId: this.otherRoom(), reqId };
        if (this.rng.chance(0.3)) frame.afterSeq = this.rng.int(1000);
        return { frame, expect: { kind: 'joined', roomId: frame.roomId as string, reqId } };
      }
      case 'leave': {
        const roomId = this.otherRoom();
        return { frame: { type, roomId, reqId }, expect: { kind: 'left', roomId, reqId } };
      }
      case 'chat': {
        const clientMsgId = this.id('c');
        const frame: Obj = { type, roomId: this.otherRoom(), clientMsgId, text: this.unicodeString(1, 80) };
        if (this.rng.chance(0.3)) frame.sentAt = Date.UTC(2026, 0, 1) + this.rng.int(1e9);
        return { frame, expect: { kind: 'error', code: 'NOT_IN_ROOM', clientMsgId } };
      }
      case 'like': {
        const frame: Obj = { type, roomId: this.otherRoom() };
        if (this.rng.chance(0.5)) frame.count = this.rng.range(1, 100);
        return { frame, expect: { kind: 'error', code: 'NOT_IN_ROOM' } };
      }
      case 'ping':
        return { frame: { type, reqId }, expect: { kind: 'pong', reqId } };
      case 'refresh': {
        const t = this.rng.pick(this.options.refreshTokens);
        return { frame: { type, token: t.token, reqId }, expect: refreshExpect(t, reqId) };
      }
    }
  }

  /** A valid base frame for a mutation: every field present, so any of them can be mutated. */
  private fullFrame(type: KnownType): Obj {
    const { frame } = this.validFrame(type);
    if (type === 'join' || type === 'leave' || type === 'ping' || type === 'refresh')
      frame.reqId ??= this.id('q');
    if (type === 'join') frame.afterSeq ??= this.rng.int(1000);
    if (type === 'chat') frame.sentAt ??= Date.UTC(2026, 0, 1);
    if (type === 'like') frame.count ??= 1;
    return frame;
  }

  // ---------------------------------------------------------------- families

  /** Text that JSON.parse refuses. */
  badJson(): FuzzCase {
    const valid = JSON.stringify(this.validFrame(this.rng.pick(KNOWN_TYPES)).frame);
    const variants: (() => string)[] = [
      () => valid.slice(0, this.rng.range(1, valid.length - 1)), // truncated
      () => valid.slice(0, -1) + ',}', // trailing comma
      () => valid.replace(/"/g, "'"), // single quotes
      () => valid + this.rng.pick(['x', '}', ']', '{}', ' ,', '\u0000']), // trailing garbage
      () => '\ufeff' + valid, // BOM
      () =>
        `{"type":"like","roomId":"r","count":${this.rng.pick(['NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '+1', '.5', '1.', '01', '1e', '--1'])}}`,
      () => `{"type":"ping",/* c */"reqId":"x"}`,
      () => `{"type":"ping","reqId":"a${String.fromCharCode(this.rng.range(0, 31))}b"}`, // raw control char
      () => `{"type":"ping","reqId":"\\x41"}`, // invalid escape
      () => `{"type":"ping","reqId":"\\u12"}`,
      () => `{type:"ping"}`,
      () => '',
      () => ' '.repeat(this.rng.range(1, 50)),
      () => '{'.repeat(this.rng.range(1, 2000)),
      () => '['.repeat(this.rng.range(1, 1000)) + ']'.repeat(this.rng.range(0, 999)) + ',',
      () => '{"a":' + this.asciiString(this.rng.range(1, 200)),
      () => 'x' + this.asciiString(this.rng.range(0, 300)),
      () => this.unicodeString(1, 300).replace(/^[\s"[{0-9tfn-]/, 'x') + '\u0001',
    ];
    let payload = this.rng.pick(variants)();
    if (isJson(payload)) payload = `x${payload}`; // never JSON
    return this.text('bad-json', payload, { kind: 'error', code: 'BAD_FRAME' });
  }

  /** JSON that is not an object. */
  notObject(): FuzzCase {
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -1,
      1e308,
      this.rng.int(1e9),
      '',
      'ping',
      JSON.stringify({ type: 'ping', reqId: 'inside-a-string' }),
      [],
      [{ type: 'ping', reqId: 'in-an-array' }],
      [[[]]],
      this.unicodeString(0, 100),
    ];
    const literal = this.rng.chance(0.15)
      ? this.rng.pick(['1e400', '-0', '1e-400', '  null  ', '"\\ud800"'])
      : undefined;
    return this.badFrame('not-object', null, literal ?? JSON.stringify(this.rng.pick(values)));
  }

  /** Deep arrays and objects, alone or as a field of a frame. */
  deepNesting(): FuzzCase {
    const budget = this.options.maxFrameBytes - 120;
    const depth = this.rng.range(50, Math.floor(budget / 6));
    const arr = (d: number) => '['.repeat(d) + ']'.repeat(d);
    const obj = (d: number) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    const mixed = (d: number) => '[{"a":'.repeat(d) + '0' + '}]'.repeat(d);
    const nest = this.rng.pick([arr, obj, mixed]);
    const inner = nest(Math.min(depth, nest === arr ? Math.floor(budget / 2) : Math.floor(budget / 8)));
    switch (this.rng.int(4)) {
      case 0:
        return this.text('deep-nesting', inner, { kind: 'error', code: 'BAD_FRAME' });
      case 1: {
        // An unknown field is ignored, however deep: a valid ping.
        const reqId = this.id('q');
        return this.text('deep-nesting', `{"type":"ping","reqId":"${reqId}","x":${inner}}`, {
          kind: 'pong',
          reqId,
        });
      }
      case 2:
        return this.text('deep-nesting', `{"type":"chat","roomId":"r","clientMsgId":"c","text":${inner}}`, {
          kind: 'error',
          code: 'BAD_FRAME',
        });
      default: {
        const reqId = this.id('q');
        return this.text('deep-nesting', `{"type":"join","reqId":"${reqId}","roomId":${inner}}`, {
          kind: 'error',
          code: 'BAD_FRAME',
          reqId,
        });
      }
    }
  }

  /** A valid frame with one field (or `type`) of another JSON type. */
  wrongType(): FuzzCase {
    const type = this.rng.pick(KNOWN_TYPES);
    const frame = this.fullFrame(type);
    const fields = FIELDS[type];
    const field = this.rng.pick(Object.keys(fields));
    frame[field] = this.rng.pick(fields[field] === 'string' ? NON_STRINGS : NON_NUMBERS);
    return this.badFrame('wrong-type', frame);
  }

  /** The right JSON type, a value the field refuses; or a required field missing. */
  badValue(): FuzzCase {
    const type = this.rng.pick(KNOWN_TYPES.filter((t) => t !== 'ping'));
    const frame = this.fullFrame(type);
    const choices: (() => void)[] = [];
    if ('roomId' in frame) choices.push(() => (frame.roomId = this.rng.pick(INVALID_ROOM_IDS)));
    if ('roomId' in frame) choices.push(() => delete frame.roomId);
    if (type === 'chat') {
      choices.push(
        () => (frame.clientMsgId = this.rng.chance(0.5) ? '' : 'm'.repeat(this.rng.range(65, 300))),
      );
      choices.push(() => (frame.text = ''));
      choices.push(() => delete frame[this.rng.pick(['clientMsgId', 'text'])]);
      choices.push(() => (frame.sentAt = this.rng.pick([-1, 1.5, 1e20, 2 ** 53, -(2 ** 31)])));
    }
    if (type === 'like') choices.push(() => (frame.count = this.rng.pick([0, 101, -1, 1.5, 1e20, 1000])));
    if (type === 'join')
      choices.push(() => (frame.afterSeq = this.rng.pick([-1, 0.5, 2 ** 53, 1e300, -(2 ** 53)])));
    if (type === 'refresh') {
      choices.push(() => (frame.token = ''));
      choices.push(() => delete frame.token);
    }
    choices.push(() => delete frame.type);
    this.rng.pick(choices)();
    return this.badFrame('bad-value', frame);
  }

  unknownType(): FuzzCase {
    const base = this.fullFrame(this.rng.pick(KNOWN_TYPES));
    base.type = this.rng.pick(UNKNOWN_TYPES);
    return this.badFrame('unknown-type', base);
  }

  /** A numeric field written as a number no field accepts (or an odd but valid spelling of 100). */
  hugeNumber(): FuzzCase {
    const pickType = this.rng.pick<'chat' | 'like' | 'join'>(['chat', 'like', 'join']);
    if (pickType === 'like' && this.rng.chance(0.25)) {
      // count: 1E2 is 100: a valid like, in a room this socket is not in.
      const roomId = this.otherRoom();
      return this.text(
        'huge-number',
        `{"type":"like","roomId":"${roomId}","count":${this.rng.pick(VALID_COUNT_100_LITERALS)}}`,
        {
          kind: 'error',
          code: 'NOT_IN_ROOM',
        },
      );
    }
    const frame = this.fullFrame(pickType);
    const field = pickType === 'chat' ? 'sentAt' : pickType === 'like' ? 'count' : 'afterSeq';
    frame[field] = '@@NUM@@';
    const payload = JSON.stringify(frame).replace('"@@NUM@@"', this.rng.pick(INVALID_NUMBER_LITERALS));
    return this.badFrame('huge-number', frame, payload);
  }

  numberLikeString(): FuzzCase {
    const pickType = this.rng.pick<'chat' | 'like' | 'join'>(['chat', 'like', 'join']);
    const frame = this.fullFrame(pickType);
    frame[pickType === 'chat' ? 'sentAt' : pickType === 'like' ? 'count' : 'afterSeq'] =
      this.rng.pick(NUMBER_LIKE_STRINGS);
    return this.badFrame('number-like-string', frame);
  }

  /** `__proto__`, `constructor` and `prototype` as keys, at the top and nested. */
  prototypeKeys(): FuzzCase {
    const reqId = this.id('q');
    const fam = 'prototype-keys';
    const pong: Expectation = { kind: 'pong', reqId };
    const bad: Expectation = { kind: 'error', code: 'BAD_FRAME' };
    const variants: (() => FuzzCase)[] = [
      // JSON.parse makes "__proto__" an own property; it sets no prototype, so no field comes from it.
      () => this.text(fam, `{"__proto__":{"type":"ping","reqId":"${reqId}"}}`, bad),
      () =>
        this.text(fam, `{"type":"ping","reqId":"${reqId}","__proto__":{"type":"chat","admin":true}}`, pong),
      () => this.text(fam, `{"type":"ping","__proto__":{"reqId":"${reqId}"}}`, { kind: 'pong' }),
      () => this.text(fam, `{"constructor":{"prototype":{"type":"ping","reqId":"${reqId}"}}}`, bad),
      () =>
        this.text(
          fam,
          `{"type":"ping","reqId":"${reqId}","constructor":{"prototype":{"polluted":true}},"prototype":{"x":1}}`,
          pong,
        ),
      () => this.text(fam, `{"type":"chat","__proto__":{"roomId":"r","clientMsgId":"c","text":"t"}}`, bad),
      () =>
        this.text(
          fam,
          `{"type":"like","roomId":"${this.otherRoom()}","count":{"__proto__":{"valueOf":1}}}`,
          bad,
        ),
      () => this.text(fam, `{"type":"ping","reqId":{"__proto__":"${reqId}"}}`, bad),
      () =>
        this.text(fam, `{"type":"__proto__","reqId":"${reqId}"}`, {
          kind: 'error',
          code: 'BAD_FRAME',
          reqId,
        }),
      () =>
        this.text(fam, `{"type":"constructor","reqId":"${reqId}","__proto__":null}`, {
          kind: 'error',
          code: 'BAD_FRAME',
          reqId,
        }),
      // Prototype names as values: a valid reqId is echoed as is.
      () => {
        const name = this.rng.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']);
        return this.text(fam, `{"type":"ping","reqId":"${name}"}`, { kind: 'pong', reqId: name });
      },
      () => {
        const name = this.rng.pick(['__proto__', 'constructor', 'prototype']);
        const roomId = this.otherRoom();
        return this.text(fam, JSON.stringify({ type: 'chat', roomId, clientMsgId: name, text: name }), {
          kind: 'error',
          code: 'NOT_IN_ROOM',
          clientMsgId: name,
        });
      },
    ];
    return this.rng.pick(variants)();
  }

  /** A key twice: JSON.parse keeps the last. */
  duplicateKeys(): FuzzCase {
    const reqId = this.id('q');
    const fam = 'duplicate-keys';
    return this.rng.pick<() => FuzzCase>([
      () => this.text(fam, `{"type":"chat","type":"ping","reqId":"${reqId}"}`, { kind: 'pong', reqId }),
      () =>
        this.text(fam, `{"type":"ping","type":"chat","reqId":"${reqId}"}`, {
          kind: 'error',
          code: 'BAD_FRAME',
          reqId,
        }),
      () => this.text(fam, `{"reqId":"first","type":"ping","reqId":"${reqId}"}`, { kind: 'pong', reqId }),
      () =>
        this.text(fam, `{"type":"ping","reqId":"${reqId}","reqId":${'1'.repeat(3)}}`, {
          kind: 'error',
          code: 'BAD_FRAME',
        }),
    ])();
  }

  /** Strings far over their caps (reqId, clientMsgId, roomId, token), or long where there is no cap. */
  longString(): FuzzCase {
    const n = this.rng.range(65, this.options.maxFrameBytes - 200);
    // Unicode pieces take up to 6 bytes as JSON (\u0000): n / 6 units keep most under the byte cap.
    const long = this.rng.chance(0.5)
      ? 'x'.repeat(n)
      : this.unicodeString(65, Math.max(65, Math.floor(n / 6)));
    const fam = 'long-string';
    switch (this.rng.int(5)) {
      case 0: // an over-long reqId fails the frame, and is not echoed (an error frame must be valid itself)
        return this.badFrame(fam, {
          type: this.rng.pick(['ping', 'join', 'leave', 'nope']),
          roomId: 'r',
          reqId: long,
        });
      case 1:
        return this.badFrame(fam, { type: 'chat', roomId: this.otherRoom(), clientMsgId: long, text: 'hi' });
      case 2:
        return this.badFrame(fam, { type: 'join', roomId: long, reqId: this.id('q') });
      case 3: {
        // No cap on unknown fields: a valid ping.
        const reqId = this.id('q');
        return this.text(
          fam,
          JSON.stringify({ type: 'ping', reqId, [this.rng.pick(['pad', 'text', 'x'])]: long }),
          { kind: 'pong', reqId },
        );
      }
      default: {
        // A long token is a bad token, not a bad frame.
        const reqId = this.id('q');
        return this.text(fam, JSON.stringify({ type: 'refresh', token: long, reqId }), {
          kind: 'error',
          code: 'UNAUTHORIZED',
          reqId,
        });
      }
    }
  }

  /** Chat text over 500 UTF-16 units in a frame under the byte cap: FRAME_TOO_LARGE. */
  textTooLong(): FuzzCase {
    const units = this.rng.range(MAX_TEXT_CHARS + 1, MAX_TEXT_CHARS + 400);
    let text: string;
    switch (this.rng.int(3)) {
      case 0:
        text = 'a'.repeat(units);
        break;
      case 1:
        text = '\u{1F600}'.repeat(Math.ceil(units / 2)); // 2 units, 4 bytes each
        break;
      default:
        text = this.unicodeString(units, units + 10);
    }
    const frame = { type: 'chat', roomId: this.otherRoom(), clientMsgId: this.id('c'), text };
    return this.text('text-too-long', JSON.stringify(frame), { kind: 'error', code: 'FRAME_TOO_LARGE' });
  }

  /** Unicode edge cases in valid frames (echoed exactly) and in invalid ones. */
  unicode(): FuzzCase {
    const fam = 'unicode';
    switch (this.rng.int(5)) {
      case 0: {
        const reqId = this.unicodeString(1, MAX_REQ_ID_CHARS);
        return this.text(fam, JSON.stringify({ type: 'ping', reqId }), { kind: 'pong', reqId });
      }
      case 1: {
        // Exactly at the caps, counted in UTF-16 units: valid.
        const clientMsgId = '\u{1F600}'.repeat(MAX_CLIENT_MSG_ID_CHARS / 2);
        const text = this.rng.chance(0.5)
          ? '\u{1F469}'.repeat(MAX_TEXT_CHARS / 2)
          : this.unicodeString(MAX_TEXT_CHARS - 3, MAX_TEXT_CHARS);
        return this.text(fam, JSON.stringify({ type: 'chat', roomId: this.otherRoom(), clientMsgId, text }), {
          kind: 'error',
          code: 'NOT_IN_ROOM',
          clientMsgId,
        });
      }
      case 2: {
        // Written as \uXXXX escapes: 6 bytes per unit on the wire, counted as one.
        const units = this.rng.range(MAX_TEXT_CHARS - 50, MAX_TEXT_CHARS + 100);
        const escaped = Array.from(
          { length: units },
          () => `\\u${this.rng.range(0x4e00, 0x9fff).toString(16)}`,
        ).join('');
        const clientMsgId = this.id('c');
        return this.text(
          fam,
          `{"type":"chat","roomId":"${this.otherRoom()}","clientMsgId":"${clientMsgId}","text":"${escaped}"}`,
          units > MAX_TEXT_CHARS
            ? { kind: 'error', code: 'FRAME_TOO_LARGE' }
            : { kind: 'error', code: 'NOT_IN_ROOM', clientMsgId },
        );
      }
      case 3:
        return this.badFrame(fam, {
          type: 'join',
          roomId: this.rng.pick(['r\u00f6om', 'r\u043e\u043em', '\u{1F600}', '\ud800', 'room\u200b']),
          reqId: this.id('q'),
        });
      default: {
        // A lone surrogate as an escape is valid JSON and a valid string.
        const reqId = this.rng.pick(['\ud800', '\udc00x', 'a\ud83d', '\u{1F600}\ud800', '\u0000']);
        return this.text(fam, JSON.stringify({ type: 'ping', reqId }), { kind: 'pong', reqId });
      }
    }
  }

  /** Valid frames with fields the protocol does not have (ignored), some that only servers set. */
  extraFields(): FuzzCase {
    const type = this.rng.pick<KnownType>(['ping', 'leave', 'chat', 'like', 'refresh']);
    const { frame, expect } = this.validFrame(type);
    const extras: Obj = this.rng.pick<Obj>([
      { priority: 'high' },
      { userId: 'system', id: 'forged', seq: 1 },
      { acceptedAt: 0, masked: false },
      { gatewayId: 'gw-evil' },
      { type2: 'join' },
      { reqIds: ['a'] },
      { nested: { type: 'chat' } },
      { '': 1 },
      { [this.unicodeString(1, 10)]: this.unicodeString(0, 10) },
    ]);
    const payload = this.rng.chance(0.2)
      ? ` \n\t${JSON.stringify({ ...frame, ...extras })}\r\n `
      : JSON.stringify({ ...extras, ...frame });
    return this.text('extra-fields', payload, expect);
  }

  /**
   * Valid joins, leaves, chats and likes in ODD_ROOMS and filler rooms, following the model: a join
   * past the room cap is refused, and a chat or like right behind it must be refused too.
   */
  statefulRoom(): FuzzCase {
    const fam = 'stateful-room';
    const r = this.rng.next();
    if (r < 0.08) {
      // Up to the room cap and one past it in one go, with a chat or like right behind the last:
      // what one client does to post where it may not.
      for (const roomId of JOINABLE_ROOMS) {
        if (this.rooms.size >= this.options.maxRooms) break;
        if (!this.rooms.has(roomId)) this.queued.push(this.roomJoin(roomId, fam));
      }
      const past = JOINABLE_ROOMS.filter((roomId) => !this.rooms.has(roomId));
      const roomId = this.rng.pick(past);
      this.queued.push(this.roomJoin(roomId, fam));
      this.queued.push(this.rng.chance(0.7) ? this.roomChat(roomId, fam) : this.roomLike(roomId, fam));
      return this.queued.shift() as FuzzCase;
    }
    if (r < 0.35) {
      const roomId = this.rng.pick(JOINABLE_ROOMS);
      const join = this.roomJoin(roomId, fam);
      // Sent in the same tick as the join: accepted if the join is, refused if it is not.
      if (this.rng.chance(0.4)) this.queued.push(this.roomChat(roomId, fam));
      else if (this.rng.chance(0.2)) this.queued.push(this.roomLike(roomId, fam));
      return join;
    }
    if (r < 0.47) {
      const roomId =
        this.rooms.size > 0 && this.rng.chance(0.8)
          ? this.rng.pick([...this.rooms])
          : this.rng.pick(JOINABLE_ROOMS);
      const reqId = this.reqId();
      this.rooms.delete(roomId);
      return this.text(fam, JSON.stringify({ type: 'leave', roomId, reqId }), {
        kind: 'left',
        roomId,
        reqId,
      });
    }
    const roomId =
      this.rooms.size > 0 && this.rng.chance(0.85)
        ? this.rng.pick([...this.rooms])
        : this.rng.pick(JOINABLE_ROOMS);
    return r < 0.85 ? this.roomChat(roomId, fam) : this.roomLike(roomId, fam);
  }

  /** A valid join: joined, or TOO_MANY_ROOMS past the cap (a room already joined is fine). */
  private roomJoin(roomId: string, family: string): FuzzCase {
    const reqId = this.reqId();
    const frame: Obj = { type: 'join', roomId, reqId };
    if (this.rng.chance(0.2))
      frame.afterSeq = this.rng.pick([0, 1, this.rng.int(100), Number.MAX_SAFE_INTEGER]);
    let expect: Expectation;
    if (this.rooms.has(roomId) || this.rooms.size < this.options.maxRooms) {
      this.rooms.add(roomId);
      expect = { kind: 'joined', roomId, reqId };
    } else expect = { kind: 'error', code: 'TOO_MANY_ROOMS', reqId };
    return this.text(family, JSON.stringify(frame), expect);
  }

  private roomChat(roomId: string, family: string): FuzzCase {
    const clientMsgId = this.rng.chance(0.05)
      ? this.rng.pick(['__proto__', 'constructor', 'toString'])
      : `${this.options.userId}-${this.id('m')}`;
    const frame: Obj = {
      type: 'chat',
      roomId,
      clientMsgId,
      text: this.unicodeString(1, this.rng.chance(0.1) ? MAX_TEXT_CHARS : 60),
    };
    // A client cannot choose who it is, nor raise its message's priority.
    if (this.rng.chance(0.2))
      Object.assign(
        frame,
        this.rng.pick<Obj>([{ userId: 'system' }, { priority: 'high' }, { seq: 1, id: 'forged' }]),
      );
    const expect: Expectation = this.rooms.has(roomId)
      ? { kind: 'ack', roomId, clientMsgId }
      : { kind: 'error', code: 'NOT_IN_ROOM', clientMsgId };
    return this.text(family, JSON.stringify(frame), expect);
  }

  private roomLike(roomId: string, family: string): FuzzCase {
    const frame: Obj = { type: 'like', roomId };
    if (this.rng.chance(0.5)) frame.count = this.rng.range(1, 100);
    const expect: Expectation = this.rooms.has(roomId)
      ? { kind: 'none' }
      : { kind: 'error', code: 'NOT_IN_ROOM' };
    return this.text(family, JSON.stringify(frame), expect);
  }

  refresh(): FuzzCase {
    const t = this.rng.pick(this.options.refreshTokens);
    const reqId = this.reqId();
    return this.text(
      'refresh',
      JSON.stringify({ type: 'refresh', token: t.token, reqId }),
      refreshExpect(t, reqId),
    );
  }

  /** Binary messages are refused whatever they hold (BAD_FRAME), UTF-8 or not. */
  binaryFrame(): FuzzCase {
    const variants: (() => Buffer)[] = [
      () => Buffer.alloc(0),
      () => Buffer.from(JSON.stringify({ type: 'ping', reqId: this.id('q') })),
      () => Buffer.from(this.rng.pick(INVALID_UTF8)),
      () => Buffer.from(Array.from({ length: this.rng.range(1, 2000) }, () => this.rng.int(256))),
    ];
    return {
      family: 'binary',
      payload: this.rng.pick(variants)(),
      binary: true,
      expect: { kind: 'error', code: 'BAD_FRAME' },
    };
  }

  /** Messages of exactly maxFrameBytes (accepted), and one byte over (1009). */
  sizeBoundary(): FuzzCase {
    const size = this.options.maxFrameBytes + (this.rng.chance(0.15) ? 1 : this.rng.chance(0.5) ? 0 : -1);
    const reqId = this.id('q');
    const head = `{"type":"ping","reqId":"${reqId}","pad":"`;
    const tail = '"}';
    const padBytes = size - Buffer.byteLength(head) - tail.length;
    // Multi-byte characters to the byte: 3-byte 中 then ASCII for the rest.
    const wide = this.rng.chance(0.5) ? Math.floor(padBytes / 3) : 0;
    const payload = `${head}${'\u4e2d'.repeat(wide)}${'p'.repeat(padBytes - wide * 3)}${tail}`;
    if (this.rng.chance(0.3)) {
      const garbage = Buffer.alloc(size, 0x7b).toString(); // '{' × size: not JSON
      return this.bySize(this.text('size-boundary', garbage, { kind: 'error', code: 'BAD_FRAME' }));
    }
    return this.bySize(this.text('size-boundary', payload, { kind: 'pong', reqId }));
  }

  /** One message in several WebSocket fragments: judged whole (its total size, its content). */
  fragmented(): FuzzCase {
    let inner: FuzzCase;
    if (this.rng.chance(0.1)) {
      // Invalid UTF-8, possibly cut in the middle of a sequence by a fragment boundary.
      const payload = Buffer.concat([
        Buffer.from('{"type":"ping","reqId":"'),
        Buffer.from(this.rng.pick(INVALID_UTF8)),
        Buffer.from('"}'),
      ]);
      inner = this.closing({
        family: 'fragmented',
        payload,
        binary: false,
        expect: { kind: 'close', code: WS_INVALID_PAYLOAD },
      });
    } else {
      // Only families that leave the room model alone (no joins, no closing cases of their own).
      inner = this.rng.pick(FRAGMENTABLE)(this);
    }
    let payload = inner.payload;
    if (this.rng.chance(0.15)) {
      // Several fragments, each under the cap, together over it.
      const filler = 'f'.repeat(this.options.maxFrameBytes);
      payload =
        typeof payload === 'string' ? payload + filler : Buffer.concat([payload, Buffer.from(filler)]);
    }
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const splits = new Set<number>();
    const pieces = this.rng.range(2, 8);
    while (length > 1 && splits.size < Math.min(pieces - 1, length - 1))
      splits.add(this.rng.range(1, length - 1));
    return this.bySize({
      ...inner,
      family: 'fragmented',
      payload,
      splits: [...splits].sort((a, b) => a - b),
    });
  }

  /** Over maxFrameBytes: the gateway closes with 1009 (message too big) before reading it. */
  oversized(): FuzzCase {
    const over = this.options.maxFrameBytes + this.rng.pick([1, 2, 100, this.rng.range(1, 60_000)]);
    const variants: (() => string)[] = [
      () => JSON.stringify({ type: 'chat', roomId: 'r', clientMsgId: 'c', text: 'x'.repeat(over) }),
      () => '['.repeat(over),
      () => this.asciiString(over),
      () => '\u4e2d'.repeat(Math.ceil(over / 3)),
    ];
    return this.bySize(
      this.text('oversized', this.rng.pick(variants)(), { kind: 'error', code: 'BAD_FRAME' }),
    );
  }

  /** A text message that is not UTF-8: the gateway closes with 1007 (RFC 6455 §8.1). */
  invalidUtf8(): FuzzCase {
    const bad = Buffer.from(this.rng.pick(INVALID_UTF8));
    const valid = Buffer.from(
      JSON.stringify({ type: 'chat', roomId: this.otherRoom(), clientMsgId: this.id('c'), text: 'hello' }),
    );
    const at = this.rng.range(0, valid.length);
    const payload = this.rng.chance(0.5)
      ? bad
      : Buffer.concat([valid.subarray(0, at), bad, valid.subarray(at)]);
    return this.closing({
      family: 'invalid-utf8',
      payload,
      binary: false,
      expect: { kind: 'close', code: WS_INVALID_PAYLOAD },
    });
  }
}

function refreshExpect(t: RefreshTokenCase, reqId: string | undefined): Expectation {
  return t.outcome === 'refreshed' ? { kind: 'refreshed', reqId } : { kind: 'error', code: t.outcome, reqId };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    // Not JSON: what this family wants.
    return false;
  }
}

/** A raw WebSocket frame a client could send, malformed below the message level. */
export interface FramingCase {
  label: string;
  /** The frame bytes, sent after the handshake and `welcome`. */
  bytes: Buffer;
  /** The close code the gateway answers with (RFC 6455 §7.4.1; sent by the ws library). */
  code: number;
}

const WS_PROTOCOL_ERROR = 1002;

/** One WebSocket frame: header bits as given, payload masked unless `masked` is false. */
export function wsFrame(opts: {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload?: Buffer;
  masked?: boolean;
  /** Writes this length in the header instead of the payload's (e.g. one the gateway must refuse unread). */
  declaredLength?: bigint;
  maskKey?: Buffer;
}): Buffer {
  const payload = opts.payload ?? Buffer.alloc(0);
  const masked = opts.masked ?? true;
  const length = opts.declaredLength ?? BigInt(payload.length);
  const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opts.opcode];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) head.push(maskBit | 126, Number(length >> 8n), Number(length & 0xffn));
  else {
    head.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((length >> shift) & 0xffn));
  }
  const key = opts.maskKey ?? Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload);
  if (masked) for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([Buffer.from(head), masked ? key : Buffer.alloc(0), body]);
}

/**
 * Frames the WebSocket layer refuses, each with the close code RFC 6455 gives it: protocol errors
 * (1002), an invalid UTF-8 close reason (1007), lengths over the cap (1009). Seeded payloads.
 */
export function framingCases(seed: number, maxFrameBytes: number): FramingCase[] {
  const rng = new Rng(seed);
  const text = (): Buffer => Buffer.from(JSON.stringify({ type: 'ping', reqId: `f${rng.int(1e6)}` }));
  const close = (code: number, reason = Buffer.alloc(0)): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code);
    return Buffer.concat([b, reason]);
  };
  const cases: FramingCase[] = [];
  for (let round = 0; round < 4; round++) {
    const badCloseCode = rng.pick([0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535]);
    cases.push(
      {
        label: 'unmasked text frame',
        bytes: wsFrame({ opcode: 0x1, payload: text(), masked: false }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'RSV1 set, no extension',
        bytes: wsFrame({ opcode: 0x1, rsv: 0b100, payload: text() }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'RSV2/RSV3 set',
        bytes: wsFrame({ opcode: 0x1, rsv: rng.pick([0b010, 0b001, 0b011]), payload: text() }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'reserved data opcode',
        bytes: wsFrame({ opcode: rng.pick([0x3, 0x4, 0x5, 0x6, 0x7]), payload: text() }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'reserved control opcode',
        bytes: wsFrame({ opcode: rng.pick([0xb, 0xc, 0xd, 0xe, 0xf]) }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'ping over 125 bytes',
        bytes: wsFrame({ opcode: 0x9, payload: Buffer.alloc(rng.range(126, 1000), 0x61) }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'fragmented ping',
        bytes: wsFrame({ opcode: 0x9, fin: false, payload: Buffer.from('p') }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'continuation with no message open',
        bytes: wsFrame({ opcode: 0x0, payload: text() }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'new text frame inside a fragmented message',
        bytes: Buffer.concat([
          wsFrame({ opcode: 0x1, fin: false, payload: Buffer.from('{"type":') }),
          wsFrame({ opcode: 0x1, payload: text() }),
        ]),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'close with a 1-byte body',
        bytes: wsFrame({ opcode: 0x8, payload: Buffer.from([0x03]) }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: `close with code ${badCloseCode}`,
        bytes: wsFrame({ opcode: 0x8, payload: close(badCloseCode) }),
        code: WS_PROTOCOL_ERROR,
      },
      {
        label: 'close reason not UTF-8',
        bytes: wsFrame({ opcode: 0x8, payload: close(1000, Buffer.from(rng.pick(INVALID_UTF8))) }),
        code: WS_INVALID_PAYLOAD,
      },
      {
        label: 'declared length over the cap (16-bit)',
        bytes: wsFrame({ opcode: 0x1, declaredLength: BigInt(rng.range(maxFrameBytes + 1, 65535)) }),
        code: WS_MESSAGE_TOO_BIG,
      },
      {
        label: 'declared length past 2^53 (64-bit)',
        bytes: wsFrame({ opcode: 0x2, declaredLength: 2n ** 63n + BigInt(rng.int(1e6)) }),
        code: WS_MESSAGE_TOO_BIG,
      },
    );
  }
  return cases;
}
