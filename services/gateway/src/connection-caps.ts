import type { Duplex } from 'node:stream';
import { AppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import type { ConnectionCounts, ConnectionKind, PresenceStore } from '@roomcast/presence';
import type { Counter } from '@roomcast/service-kit';

export interface ConnectionCapsOptions {
  gatewayId: string;
  /** Open sockets one user may have over every gateway; 0 = no cap. */
  maxPerUser: number;
  /** Open sockets one client address may have over every gateway; 0 = no cap. */
  maxPerIp: number;
  /** Expiry of this gateway's counts in the store unless refreshed by `report`, ms. */
  ttlMs: number;
}

export interface ConnectionCapsCounters {
  /** Sockets refused (4505), by the cap that refused them, here or over every gateway. */
  refused: Record<ConnectionKind, Counter>;
  /** Admissions checked against this gateway's own count only, because the store did not answer. */
  failedOpen: Record<ConnectionKind, Counter>;
}

const KINDS: readonly ConnectionKind[] = ['user', 'ip'];

/**
 * The caps on open sockets per user and per client address, held over every gateway.
 *
 * Two checks: this gateway's own count first (synchronous, taken before anything is awaited, so a
 * burst of handshakes cannot all slip under the cap, and a refusal costs no round trip), then the
 * count summed over every gateway in the presence store. When the store cannot answer, the socket
 * is admitted on the local check alone (availability first, as the per-user rate limits do).
 *
 * The store's count of this gateway is kept in step by each admit and release, and set to this
 * gateway's own tally on every `report` (each presence tick), which also repairs what a failed
 * admit or release left wrong; ids with a store call in flight are left to that call.
 */
export class ConnectionCaps {
  /** Admitted sockets per id, from admission until the TCP socket closes. */
  private readonly local: Record<ConnectionKind, Map<string, number>> = { user: new Map(), ip: new Map() };
  /** Admits and releases sent to the store and not answered yet, per id. */
  private readonly inFlight: Record<ConnectionKind, Map<string, number>> = { user: new Map(), ip: new Map() };
  /** Ids whose store count may be wrong (an admit or release failed): the next report sets them. */
  private readonly dirty: Record<ConnectionKind, Set<string>> = { user: new Set(), ip: new Set() };

  constructor(
    private readonly options: ConnectionCapsOptions,
    private readonly presence: PresenceStore,
    private readonly counters: ConnectionCapsCounters,
    private readonly logger: Logger,
  ) {}

  /**
   * Admits a new socket of `userId` from `ip`, or says why not. Once admitted, the socket is
   * counted until its TCP socket closes, here and in the store, released exactly once whatever
   * happens to the handshake (also when it closes while the store is still answering).
   */
  async admit(userId: string, ip: string, socket: Duplex): Promise<AppError | undefined> {
    // Gone during the token check: its 'close' has fired already, so nothing could give a slot back
    // (and the upgrade will not complete).
    if (socket.destroyed) return undefined;
    const ids: Record<ConnectionKind, string> = { user: userId, ip };
    for (const kind of KINDS) {
      const cap = this.cap(kind);
      if (cap > 0 && (this.local[kind].get(ids[kind]) ?? 0) >= cap) {
        this.counters.refused[kind].inc();
        return tooMany(kind, cap);
      }
    }
    const admission = new Admission(this, ids);
    socket.once('close', () => admission.release());
    for (const kind of KINDS) {
      const cap = this.cap(kind);
      if (cap === 0) continue;
      const admitted = await this.admitShared(kind, ids[kind], cap);
      if (admitted === false) {
        this.counters.refused[kind].inc();
        admission.release();
        return tooMany(kind, cap);
      }
      if (admitted) admission.holdShared(kind);
    }
    return undefined;
  }

  /** Sets this gateway's counts in the store to its own tally, with a fresh expiry (one round trip). */
  async report(): Promise<void> {
    const counts: ConnectionCounts = { user: this.tally('user'), ip: this.tally('ip') };
    if (counts.user.size === 0 && counts.ip.size === 0) return;
    await this.presence.reportConnections(this.options.gatewayId, counts, this.options.ttlMs);
  }

  /** On stop: this gateway's counts leave the store (sockets closing later find nothing to release). */
  async releaseAll(): Promise<void> {
    const counts: ConnectionCounts = { user: this.zeros('user'), ip: this.zeros('ip') };
    if (counts.user.size === 0 && counts.ip.size === 0) return;
    await this.presence.reportConnections(this.options.gatewayId, counts, this.options.ttlMs);
  }

  /** @internal Admission's side: one socket fewer here. */
  releaseLocal(kind: ConnectionKind, id: string): void {
    bump(this.local[kind], id, -1);
  }

  /** @internal Admission's side: one socket more here. */
  holdLocal(kind: ConnectionKind, id: string): void {
    bump(this.local[kind], id, 1);
  }

  /** @internal Admission's side: one socket fewer in the store (a failure leaves the id to the next report). */
  releaseShared(kind: ConnectionKind, id: string): void {
    bump(this.inFlight[kind], id, 1);
    this.presence
      .releaseConnection(kind, id, this.options.gatewayId)
      .catch((err: unknown) => {
        this.dirty[kind].add(id);
        this.logger.debug({ err, kind }, 'connection release unavailable; the next report repairs it');
      })
      .finally(() => bump(this.inFlight[kind], id, -1));
  }

  /** True/false: the store's answer; undefined: it did not answer (admitted on the local check). */
  private async admitShared(kind: ConnectionKind, id: string, cap: number): Promise<boolean | undefined> {
    bump(this.inFlight[kind], id, 1);
    try {
      return await this.presence.admitConnection(kind, id, this.options.gatewayId, cap, this.options.ttlMs);
    } catch (err) {
      // It may have counted this socket before failing (a timeout): the next report says.
      this.dirty[kind].add(id);
      this.counters.failedOpen[kind].inc();
      this.logger.debug({ err, kind }, 'connection cap unavailable; admitting on this gateway\'s count');
      return undefined;
    } finally {
      bump(this.inFlight[kind], id, -1);
    }
  }

  private cap(kind: ConnectionKind): number {
    return kind === 'user' ? this.options.maxPerUser : this.options.maxPerIp;
  }

  /** This gateway's count of every id it has sockets of, or whose store count may be wrong; not those in flight. */
  private tally(kind: ConnectionKind): Map<string, number> {
    const out = new Map<string, number>();
    if (this.cap(kind) === 0) return out;
    const inFlight = this.inFlight[kind];
    for (const [id, n] of this.local[kind]) if (!inFlight.has(id)) out.set(id, n);
    for (const id of this.dirty[kind]) {
      if (inFlight.has(id)) continue;
      out.set(id, this.local[kind].get(id) ?? 0);
      this.dirty[kind].delete(id);
    }
    return out;
  }

  private zeros(kind: ConnectionKind): Map<string, number> {
    const out = new Map<string, number>();
    if (this.cap(kind) === 0) return out;
    for (const id of this.local[kind].keys()) out.set(id, 0);
    for (const id of this.dirty[kind]) out.set(id, 0);
    this.dirty[kind].clear();
    return out;
  }
}

/** One admitted socket's counts: taken at admission, given back once. */
class Admission {
  private released = false;
  private readonly shared: ConnectionKind[] = [];

  constructor(
    private readonly caps: ConnectionCaps,
    private readonly ids: Record<ConnectionKind, string>,
  ) {
    for (const kind of KINDS) caps.holdLocal(kind, ids[kind]);
  }

  /** The store counted this socket for `kind`; when the socket is gone already, give it back now. */
  holdShared(kind: ConnectionKind): void {
    if (this.released) this.caps.releaseShared(kind, this.ids[kind]);
    else this.shared.push(kind);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const kind of KINDS) this.caps.releaseLocal(kind, this.ids[kind]);
    for (const kind of this.shared) this.caps.releaseShared(kind, this.ids[kind]);
    this.shared.length = 0;
  }
}

function tooMany(kind: ConnectionKind, cap: number): AppError {
  return kind === 'user'
    ? new AppError('TOO_MANY_CONNECTIONS', `at most ${cap} connections per user; close one first`)
    : new AppError('TOO_MANY_CONNECTIONS', `at most ${cap} connections per client address`);
}

function bump(counts: Map<string, number>, key: string, by: 1 | -1): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
