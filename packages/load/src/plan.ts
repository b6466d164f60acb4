import { randomBytes } from 'node:crypto';
import { connectionCount, type LoadOptions } from './options';

export type ConnectionRole = 'viewer' | 'sender';

/** One simulated client: who it is, where it connects from and to, and when. */
export interface ConnectionSpec {
  /** Global index, 0-based; decides worker, URL and source address round-robin. */
  index: number;
  role: ConnectionRole;
  room: number;
  roomId: string;
  userId: string;
  url: string;
  /** Local address to bind (loopback rotation); undefined = the OS chooses. */
  localAddress: string | undefined;
  /** When to open it, ms after the run's start: ramp spread evenly over all connections. */
  startOffsetMs: number;
}

/** What one worker process runs. */
export interface WorkerPlan {
  worker: number;
  connections: ConnectionSpec[];
  /** Like frames per second this worker sends, per room index (its share of `--likes`). */
  likesPerSecByRoom: number[];
}

export interface LoadPlan {
  runId: string;
  roomIds: string[];
  totalConnections: number;
  workers: WorkerPlan[];
}

/** Short unique run id: room and user ids are unique per run, so every room starts at seq 1. */
export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/**
 * Lays out the run: connections interleaved across rooms (so the ramp fills all rooms evenly),
 * each room's senders first, then worker / URL / source address round-robin by global index.
 */
export function buildPlan(o: LoadOptions, runId = newRunId()): LoadPlan {
  const roomIds = Array.from({ length: o.rooms }, (_, r) => `load-${runId}-r${r}`);
  const total = connectionCount(o);
  const perRoom = o.viewers + o.senders;
  const workers: WorkerPlan[] = Array.from({ length: o.workers }, (_, w) => ({
    worker: w,
    connections: [],
    likesPerSecByRoom: new Array<number>(o.rooms).fill(0),
  }));
  const viewersByWorkerRoom = workers.map(() => new Array<number>(o.rooms).fill(0));
  let index = 0;
  for (let k = 0; k < perRoom; k++) {
    for (let r = 0; r < o.rooms; r++) {
      const role = k < o.senders ? 'sender' : 'viewer';
      const w = index % o.workers;
      const spec: ConnectionSpec = {
        index,
        role,
        room: r,
        roomId: roomIds[r] as string,
        userId: `load-${runId}-u${index}`,
        url: o.urls[index % o.urls.length] as string,
        localAddress:
          o.sourceAddresses.length > 0 ? o.sourceAddresses[index % o.sourceAddresses.length] : undefined,
        startOffsetMs: total <= 1 ? 0 : Math.round((o.rampSec * 1000 * index) / total),
      };
      (workers[w] as WorkerPlan).connections.push(spec);
      if (role === 'viewer') {
        const row = viewersByWorkerRoom[w] as number[];
        row[r] = (row[r] ?? 0) + 1;
      }
      index++;
    }
  }
  // Each worker likes in proportion to the room's viewers it holds.
  if (o.viewers > 0 && o.likesPerSec > 0) {
    for (const wp of workers) {
      for (let r = 0; r < o.rooms; r++) {
        wp.likesPerSecByRoom[r] = (o.likesPerSec * (viewersByWorkerRoom[wp.worker]?.[r] ?? 0)) / o.viewers;
      }
    }
  }
  return { runId, roomIds, totalConnections: total, workers };
}

/** Chat text of exactly `sizeBytes` ASCII bytes. */
export function chatText(sizeBytes: number): string {
  const pattern = 'roomcast-load ';
  return pattern.repeat(Math.ceil(sizeBytes / pattern.length)).slice(0, sizeBytes);
}
