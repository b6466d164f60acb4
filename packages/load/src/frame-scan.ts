/**
 * Reads the integers the load tool needs straight from a frame's bytes, without JSON.parse: at a
 * million messages per second on a core shared with the server, parsing every frame on the
 * generator would measure the generator.
 *
 * The roomcast scanners are strict: they walk the frame key by key in the exact order the gateway
 * writes (services/gateway wire.ts; contracts ws.ts `MessageFrame` / `MessagesFrame`) and return
 * false on anything else — a renamed, reordered or missing key, whitespace, a float, a nested
 * value — so that a change of the gateway's frame shape is counted loudly (`unscannedFrames`) and
 * takes the JSON path, instead of being read wrongly. Safe without a JSON parser because in JSON
 * text an unescaped `"` cannot occur inside a string, so string values are skipped by looking for
 * the first `"` not preceded by a backslash escape, and a text like `\"seq\":1` or `},{` inside a
 * string can never be taken for structure.
 *
 * Every key of the frame head and of the FIRST item of a `messages` frame is compared byte by
 * byte; the keys of later items only by their length and punctuation (`,"` … `":`), since one
 * encoder writes every item of a frame alike: a renamed or reordered key fails on the first item.
 * Comparing every key name of every item made the scan 15-20 % slower at 10-50 items per frame
 * (A/B on the 2-core dev box, CPU time per message: 436 vs 373 ns at 10, 413 vs 342 ns at 50).
 *
 * The shapes read (every key in this order; `priority` only on high-priority messages; `kind`
 * and `data` only on gifts, which are always high priority — the one room event the load tool
 * sends, `--gifts`; any other kind, a tombstone or chat's replyTo/mentions take the JSON path):
 *
 *   message:  {"type":"message","roomId":"R","seq":N,"id":"..","userId":"..","clientMsgId":"..",
 *              "text":"..","masked":B,"sentAt":N,"acceptedAt":N[,"priority":"high"
 *              [,"kind":"gift","data":{..}]]}
 *   messages: {"type":"messages","roomId":"R","fromSeq":N,"toSeq":N,"thinned":N,"messages":[
 *              {"seq":N,"id":..,"userId":..,"clientMsgId":..,"text":..,"masked":B,"sentAt":N,
 *              "acceptedAt":N[,"priority":"high"[,"kind":"gift","data":{..}]]},...]}
 *
 * A gift's `data` object is skipped by brace depth (strings skipped as above), so what it holds
 * (giftId, count, combo) may change without the scanner.
 */

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** What every roomcast message frame starts with; the next byte tells `message` from `messages`. */
const MESSAGE_TYPE_PREFIX = bytes('{"type":"message');
const SINGLE_HEAD = bytes('{"type":"message","roomId":"');
const BATCH_HEAD = bytes('{"type":"messages","roomId":"');
const AFTER_ROOM_SINGLE = bytes('","seq":');
const AFTER_ROOM_BATCH = bytes('","fromSeq":');
const TO_SEQ = bytes(',"toSeq":');
const THINNED = bytes(',"thinned":');
const MESSAGES_OPEN = bytes(',"messages":[');
const ITEM_OPEN = bytes('{"seq":');
const ID = bytes(',"id":"');
const USER_ID = bytes('","userId":"');
const CLIENT_MSG_ID = bytes('","clientMsgId":"');
const TEXT = bytes('","text":"');
const MASKED = bytes('","masked":');
const TRUE = bytes('true');
const FALSE = bytes('false');
const SENT_AT = bytes(',"sentAt":');
const ACCEPTED_AT = bytes(',"acceptedAt":');
const PRIORITY_HIGH = bytes(',"priority":"high"');
const GIFT_KIND_DATA = bytes(',"kind":"gift","data":{');
const STRING_KEYS = [ID, USER_ID, CLIENT_MSG_ID, TEXT];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const LOWER_S = 0x73;
const ZERO = 0x30;
const NINE = 0x39;
/** 15 digits stay exact in a double (sentAt has 13, seqs far fewer). */
const MAX_DIGITS = 15;

const SENT_AT_KEY = Buffer.from('"sentAt":');
const OFFSET_KEY = Buffer.from('"offset":');
const PUB_KEY = Buffer.from('"pub":');

/** What kind of roomcast message frame a buffer starts like (numbers: compared on the hot path). */
export const FrameKind = {
  Other: 0,
  /** `{"type":"message"`: one message (protocol v1). */
  Message: 1,
  /** `{"type":"messages"`: a batch (protocol v2). */
  Messages: 2,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** The kind the frame's first bytes announce (a prefix test; the scanners check the rest). */
export function messageFrameKind(buf: Buffer): FrameKind {
  const n = MESSAGE_TYPE_PREFIX.length;
  if (buf.length <= n) return FrameKind.Other;
  for (let i = 0; i < n; i++) if (buf[i] !== MESSAGE_TYPE_PREFIX[i]) return FrameKind.Other;
  const next = buf[n];
  return next === QUOTE ? FrameKind.Message : next === LOWER_S ? FrameKind.Messages : FrameKind.Other;
}

/** True when the frame starts like a roomcast `message` or `messages` frame. */
export function isMessageFrame(buf: Buffer): boolean {
  return messageFrameKind(buf) !== FrameKind.Other;
}

// ------------------------------------------------------------------ primitives
// Each returns the position after what it read, or -1. The number read by readUint is left in
// `lastUint` (a module variable, so the hot path allocates nothing).

let lastUint = 0;

function matchAt(buf: Buffer, pos: number, pattern: Buffer): number {
  const n = pattern.length;
  if (pos < 0 || pos + n > buf.length) return -1;
  for (let i = 0; i < n; i++) if (buf[pos + i] !== pattern[i]) return -1;
  return pos + n;
}

/**
 * A key: every byte compared when `strict`, else only its shape: same length, same first byte and
 * same last two bytes (`":` / `:"`).
 */
function matchKey(buf: Buffer, pos: number, pattern: Buffer, strict: boolean): number {
  const n = pattern.length;
  if (pos < 0 || pos + n > buf.length) return -1;
  if (strict) {
    for (let i = 0; i < n; i++) if (buf[pos + i] !== pattern[i]) return -1;
  } else if (
    buf[pos] !== pattern[0] ||
    buf[pos + n - 1] !== pattern[n - 1] ||
    buf[pos + n - 2] !== pattern[n - 2]
  ) {
    return -1;
  }
  return pos + n;
}

function readUint(buf: Buffer, pos: number): number {
  if (pos < 0) return -1;
  const end = Math.min(buf.length, pos + MAX_DIGITS + 1);
  let value = 0;
  let i = pos;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < ZERO || c > NINE) break;
    value = value * 10 + (c - ZERO);
  }
  // No digits, too many, or a leading zero on a multi-digit number (not JSON).
  if (i === pos || i - pos > MAX_DIGITS || (buf[pos] === ZERO && i - pos > 1)) return -1;
  lastUint = value;
  return i;
}

/** Position of the closing quote of a JSON string whose content starts at `pos`, or -1. */
function skipString(buf: Buffer, pos: number): number {
  if (pos < 0) return -1;
  const n = buf.length;
  for (let i = pos; i < n; i++) {
    const c = buf[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/**
 * Position after the `}` closing an object whose content starts at `pos` (just after its `{`),
 * or -1. Strings are skipped whole, so braces inside them do not count.
 */
function skipObject(buf: Buffer, pos: number): number {
  if (pos < 0) return -1;
  const n = buf.length;
  let depth = 1;
  for (let i = pos; i < n; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      i = skipString(buf, i + 1);
      if (i < 0) return -1;
    } else if (c === OPEN_BRACE) depth++;
    else if (c === CLOSE_BRACE && --depth === 0) return i + 1;
  }
  return -1;
}

let itemSeq = 0;
let itemSentAt = 0;
/** 1 when the item just scanned is a gift, else 0. */
let itemGift = 0;

/**
 * Reads an item body from the digits of its `seq` to its closing `}` (inclusive): the keys after
 * `seq` in their fixed order, compared byte by byte when `strictKeys` (a frame's first item) or by
 * shape only (the items after it; see top). Leaves seq, sentAt and whether it is a gift in
 * itemSeq / itemSentAt / itemGift.
 */
function scanItemFromSeq(buf: Buffer, pos: number, strictKeys: boolean): number {
  let p = readUint(buf, pos);
  if (p < 0) return -1;
  itemSeq = lastUint;
  // A loop rather than four calls (one matchKey call site for V8 to inline instead of four):
  // written as four calls, this function measured 7-10 % slower than the strict and by-shape
  // copies it replaced; as a loop, 5-10 % faster at 5-50 items per frame (CPU time per message,
  // A/B in separate processes on the 2-core dev box).
  for (let k = 0; k < STRING_KEYS.length; k++)
    p = skipString(buf, matchKey(buf, p, STRING_KEYS[k] as Buffer, strictKeys));
  p = matchKey(buf, p, MASKED, strictKeys);
  if (p < 0) return -1;
  const afterBool = buf[p] === 0x74 ? matchAt(buf, p, TRUE) : matchAt(buf, p, FALSE);
  p = readUint(buf, matchKey(buf, afterBool, SENT_AT, strictKeys));
  if (p < 0) return -1;
  itemSentAt = lastUint;
  itemGift = 0;
  p = readUint(buf, matchKey(buf, p, ACCEPTED_AT, strictKeys));
  if (p < 0) return -1;
  if (buf[p] === CLOSE_BRACE) return p + 1;
  p = matchAt(buf, p, PRIORITY_HIGH);
  if (p < 0) return -1;
  if (buf[p] === CLOSE_BRACE) return p + 1;
  p = skipObject(buf, matchAt(buf, p, GIFT_KIND_DATA));
  if (p < 0 || buf[p] !== CLOSE_BRACE) return -1;
  itemGift = 1;
  return p + 1;
}

// ------------------------------------------------------------------ message (v1)

export interface ScannedMessage {
  seq: number;
  /** Sender clock, ms since epoch; -1 when the frame carries none (Centrifugo only). */
  sentAt: number;
  /** A gift (kind `gift`); roomcast only. */
  gift?: boolean;
}

/** Fills `out` with seq and sentAt of a roomcast `message` frame; false when it is not exactly that shape. */
export function scanRoomcastMessage(buf: Buffer, out: ScannedMessage): boolean {
  let p = skipString(buf, matchAt(buf, 0, SINGLE_HEAD));
  p = matchAt(buf, p, AFTER_ROOM_SINGLE);
  if (p < 0) return false;
  p = scanItemFromSeq(buf, p, true);
  if (p !== buf.length || itemSeq <= 0) return false;
  out.seq = itemSeq;
  out.sentAt = itemSentAt;
  out.gift = itemGift === 1;
  return true;
}

// ------------------------------------------------------------------ messages (v2)

/**
 * A scanned `messages` frame, reused frame after frame: the items' seqs and sentAts sit in
 * growable typed arrays (`count` valid entries), so scanning allocates nothing per message.
 */
export class ScannedBatch {
  fromSeq = 0;
  toSeq = 0;
  /** Seqs of fromSeq..toSeq the server left out of `messages` (thinning). */
  thinned = 0;
  /** Items read; seqs[0..count), sentAts[0..count) and gifts[0..count) (1 = a gift). */
  count = 0;
  seqs: Float64Array;
  sentAts: Float64Array;
  gifts: Uint8Array;

  constructor(capacity = 256) {
    this.seqs = new Float64Array(capacity);
    this.sentAts = new Float64Array(capacity);
    this.gifts = new Uint8Array(capacity);
  }

  /** Appends one item (the JSON fallback fills batches this way too). `gift`: 1 for a gift. */
  push(seq: number, sentAt: number, gift = 0): void {
    if (this.count === this.seqs.length) {
      const seqs = new Float64Array(this.seqs.length * 2);
      const sentAts = new Float64Array(this.seqs.length * 2);
      const gifts = new Uint8Array(this.seqs.length * 2);
      seqs.set(this.seqs);
      sentAts.set(this.sentAts);
      gifts.set(this.gifts);
      this.seqs = seqs;
      this.sentAts = sentAts;
      this.gifts = gifts;
    }
    this.seqs[this.count] = seq;
    this.sentAts[this.count] = sentAt;
    this.gifts[this.count] = gift;
    this.count++;
  }

  /**
   * The frame's promise, as contracts' MessagesFrame refines it: items strictly increasing inside
   * fromSeq..toSeq and `count + thinned` covering the range exactly.
   */
  isConsistent(): boolean {
    if (this.fromSeq < 1 || this.toSeq < this.fromSeq) return false;
    if (this.count + this.thinned !== this.toSeq - this.fromSeq + 1) return false;
    let prev = this.fromSeq - 1;
    for (let i = 0; i < this.count; i++) {
      const seq = this.seqs[i] as number;
      if (seq <= prev || seq > this.toSeq) return false;
      prev = seq;
    }
    return true;
  }
}

/**
 * Fills `out` from a roomcast `messages` frame (protocol v2); false when the frame is not exactly
 * the shape above or its seq range is inconsistent (then nothing of it may be counted: the caller
 * falls back to JSON for the whole frame).
 */
export function scanMessagesFrame(buf: Buffer, out: ScannedBatch): boolean {
  out.count = 0;
  let p = skipString(buf, matchAt(buf, 0, BATCH_HEAD));
  p = readUint(buf, matchAt(buf, p, AFTER_ROOM_BATCH));
  if (p < 0) return false;
  out.fromSeq = lastUint;
  p = readUint(buf, matchAt(buf, p, TO_SEQ));
  if (p < 0) return false;
  out.toSeq = lastUint;
  p = readUint(buf, matchAt(buf, p, THINNED));
  if (p < 0) return false;
  out.thinned = lastUint;
  p = matchAt(buf, p, MESSAGES_OPEN);
  if (p < 0) return false;
  if (buf[p] !== CLOSE_BRACKET) {
    p = scanItemFromSeq(buf, matchAt(buf, p, ITEM_OPEN), true);
    if (p < 0) return false;
    out.push(itemSeq, itemSentAt, itemGift);
    while (buf[p] === COMMA) {
      p = scanItemFromSeq(buf, matchAt(buf, p + 1, ITEM_OPEN), false);
      if (p < 0) return false;
      out.push(itemSeq, itemSentAt, itemGift);
    }
  }
  if (p + 2 !== buf.length || buf[p] !== CLOSE_BRACKET || buf[p + 1] !== CLOSE_BRACE) return false;
  return out.isConsistent();
}

// ------------------------------------------------------------------ Centrifugo

/** The non-negative integer right after `key` (searching from `from`), or -1. */
export function readUintAfter(buf: Buffer, key: Buffer, from = 0, end = buf.length): number {
  const at = buf.indexOf(key, from);
  if (at < 0 || at >= end) return -1;
  let i = at + key.length;
  while (i < end && buf[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < ZERO || c > NINE) break;
    value = value * 10 + (c - ZERO);
    digits++;
  }
  return digits === 0 ? -1 : value;
}

/**
 * A Centrifugo publication push line (`{"push":{"channel":..,"pub":{"data":{..},"offset":N}}}`):
 * offset (the channel's stream position) and the sentAt the load tool put in `data`. Centrifugo
 * writes its own JSON (key order is its own), so this one searches keys instead of walking them.
 */
export function scanCentrifugoPublication(
  buf: Buffer,
  start: number,
  end: number,
  out: ScannedMessage,
): boolean {
  const pubAt = buf.indexOf(PUB_KEY, start);
  if (pubAt < 0 || pubAt >= end) return false;
  out.sentAt = readUintAfter(buf, SENT_AT_KEY, pubAt, end);
  out.seq = readUintAfter(buf, OFFSET_KEY, pubAt, end);
  out.gift = false;
  return true;
}
