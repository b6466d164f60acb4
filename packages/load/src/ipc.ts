import type { LoadOptions } from './options';
import type { WorkerPlan } from './plan';

/** Messages between the coordinator and its worker processes (JSON over the fork IPC channel). */

/** Coordinator -> worker: what to run; `t0` (epoch ms) aligns ramp and per-second samples. */
export interface InitMessage {
  type: 'init';
  options: LoadOptions;
  plan: WorkerPlan;
  t0: number;
}
/** Coordinator -> worker: every worker's connections settled; send from `startAt` (epoch ms). */
export interface SendMessage {
  type: 'send';
  startAt: number;
}
export interface PollMessage {
  type: 'poll';
}
/** Coordinator -> worker: drained; close everything and report. */
export interface FinishMessage {
  type: 'finish';
}
export type CoordinatorMessage = InitMessage | SendMessage | PollMessage | FinishMessage;

/** Counters a worker accumulates; cumulative since start unless said otherwise. */
export interface WorkerCounters {
  connectAttempts: number;
  connected: number;
  joined: number;
  connectFailed: number;
  /** Connections open right now. */
  open: number;
  chatsSent: number;
  chatsAcked: number;
  chatsFailed: number;
  /** Chats still waiting for an ack when the worker reported. */
  chatsUnacked: number;
  rejected: number;
  likesSent: number;
  /** Gifts sent (`--gifts`); also counted in chatsSent/chatsAcked/chatsFailed (they are messages of the stream). */
  giftsSent: number;
  /** Gifts received; also counted in delivered. */
  giftsDelivered: number;
  /** Messages received (duplicates included): one per v1 `message` frame, one per item of a v2 `messages` frame. */
  delivered: number;
  /** Frames that carried messages: v1 `message` frames plus v2 `messages` frames. */
  deliveredFrames: number;
  /** Of deliveredFrames, v2 `messages` batch frames. */
  batchFrames: number;
  /** Seqs `messages` frames covered but left out (their `thinned` counts), summed. */
  thinned: number;
  /**
   * Frames that looked like roomcast message(s) frames but did not scan (another shape than the
   * one the scanner reads): counted through the JSON fallback, and a verdict problem.
   */
  unscannedFrames: number;
  duplicates: number;
  outOfOrder: number;
  gapEvents: number;
  /** Message frames without a usable seq (e.g. Centrifugo without history): not seq-checked. */
  unsequenced: number;
  /** `--resume`: reconnects that got a `welcome` (each after a close counted in closesByCode). */
  reconnects: number;
  /** `--resume`: reconnect attempts that closed before their `welcome` (e.g. refused). */
  reconnectsFailed: number;
  /** `--resume`: rejoins with `afterSeq` answered by `joined`. */
  resumes: number;
  /** Of resumes, those whose `joined` named a `missing` range (not carried by the catch-up). */
  resumesIncomplete: number;
  /** Seqs those `missing` ranges held (the tool pages no history: they show up as gaps). */
  resumeMissing: number;
  /** Messages received during a resume's catch-up (between the reconnect and its `joined`); in `delivered` too. */
  recovered: number;
  /** Σ `joined.recoveredCount` of the resumes: what the gateways say they sent. */
  recoveredByGateway: number;
  /** Chats resent with the same clientMsgId after the socket closed under them (`--resume`). */
  chatsResent: number;
}

/** One per-second sample: counter deltas over ((k-1) s, k s] after t0 and that interval's latencies. */
export interface Sample {
  k: number;
  open: number;
  sent: number;
  acked: number;
  /** Messages delivered. */
  delivered: number;
  /** Frames carrying messages delivered. */
  deliveredFrames: number;
  /** Seqs thinned by the server. */
  thinned: number;
  likes: number;
  /** Encoded µs histogram of the interval's delivery latencies ('' if none). */
  latency: string;
}

/** Per room, what this worker saw; merged across workers by `consolidateRooms`. */
export interface RoomReport {
  room: number;
  roomId: string;
  /** Connections of this worker joined and open when sending started: they are expected to receive. */
  members: number;
  acked: number;
  rejected: number;
  /** Highest seq any of this worker's members saw. */
  maxSeq: number;
  /** Per counted member: highest seq covered (or its baseline), holes still open, seqs thinned, closed before the end. */
  ends: MemberEnd[];
}

export interface MemberEnd {
  /** Highest seq received or thinned (or the baseline). */
  max: number;
  holes: number;
  /** Seqs above the baseline the server thinned for this member. */
  thinned: number;
  closed: boolean;
}

/** Worker -> coordinator: the process is up and listening. */
export interface BootedMessage {
  type: 'booted';
}
export interface ReadyMessage {
  type: 'ready';
  joined: number;
  failed: number;
}
export interface SampleMessage {
  type: 'sample';
  sample: Sample;
  counters: WorkerCounters;
}
export interface SendDoneMessage {
  type: 'sendDone';
  rooms: RoomReport[];
}
export interface CountMessage {
  type: 'count';
  delivered: number;
  thinned: number;
}
export interface ResultMessage {
  type: 'result';
  counters: WorkerCounters;
  rooms: RoomReport[];
  /** The last, partial interval (not sent as a sample). */
  finalSample: Sample;
  closesByCode: Record<string, number>;
  connectFailuresByCode: Record<string, number>;
  errorsByCode: Record<string, number>;
  /** Connections by the protocol version their `welcome` announced. */
  welcomeProtocols: Record<string, number>;
  /** Encoded µs histograms. */
  connectUs: string;
  joinUs: string;
  ackUs: string;
  /** Latency of messages recovered by a resume's catch-up. */
  recoveredUs: string;
  /** Delivery latency of gifts (kept out of `latency`, chat's), the whole run. */
  giftUs: string;
}
export interface FatalMessage {
  type: 'fatal';
  message: string;
}
export type WorkerMessage =
  | BootedMessage
  | ReadyMessage
  | SampleMessage
  | SendDoneMessage
  | CountMessage
  | ResultMessage
  | FatalMessage;
