import { createWordFilter, FilterCompiler, isFilterError, type FilterEntry, type WordFilter } from '@roomcast/filter-engine';
import type { Logger } from '@roomcast/logger';
import type { MetricsRegistry } from '@roomcast/service-kit';
import type { DictionaryStore } from '@roomcast/store';
import { engineChecker, layeredChecker, type WordChecker } from './word-check';

/** Words that are not in the store: FILTER_BLOCKED_WORDS / FILTER_MASKED_WORDS and FILTER_DICTIONARY_FILE. */
export interface BaseDictionary {
  entries: FilterEntry[];
  allow: string[];
}

export interface FilterDictionaryOptions {
  store: DictionaryStore;
  base: BaseDictionary;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Longest text checked, UTF-16 units; longer texts throw TEXT_TOO_LONG. */
  maxTextLength: number;
  /** How long a change waits for more changes before the reload starts, ms. */
  reloadDebounceMs: number;
  /** Compile global reloads in a worker thread (FilterCompiler); false = on the event loop. */
  compileInWorker: boolean;
  /** Room overlays kept compiled (least recently used dropped first). */
  roomCacheSize: number;
}

/** The global filter in use: built from base + the store's global scope at `version`. */
interface GlobalState {
  version: number;
  filter: WordFilter;
  checker: WordChecker;
  /** The allow words every room overlay also gets. */
  allow: string[];
  managedEntries: number;
  managedAllow: number;
  buildMs: number;
  loadedAt: number;
}

/** A room's overlay: the room's own words compiled alone, layered over the global filter. */
interface RoomState {
  version: number;
  /** The global state the checker was layered on. */
  global: GlobalState;
  /** The room's entries, compiled with the global allow words (`overlayAllow`) and the room's. */
  overlay: WordFilter | undefined;
  overlayAllow: readonly string[];
  /** The room's allow words, compiled as entries: their occurrences un-list global matches. */
  roomAllow: WordFilter | undefined;
  checker: WordChecker;
}

/**
 * Room overlays with more words than this compile in the worker (a room's first message waits a
 * few ms either way; above this, the event loop would stall for several ms for everyone).
 */
export const ROOM_INLINE_COMPILE_MAX = 200;

/**
 * The dictionary a filter instance checks against, kept current without restarts.
 *
 * Global scope: one filter compiled from the base words plus the store's global words. A change
 * (announced on Kafka, or noticed by the periodic version poll) schedules a reload: after
 * `reloadDebounceMs` the scope is read from the store, a NEW filter is compiled, and only then is
 * the reference swapped, so a message is always checked against a complete automaton (the old
 * one until the swap). Changes arriving during a build cause exactly one more build afterwards:
 * a burst of N changes costs at most two builds.
 *
 * Rooms: a room's check is the global filter plus the room's own words, as a second, small filter
 * layered over the shared global one (`layeredChecker`), so a global change costs one build, not
 * one per room. Overlays are loaded on a room's first message (awaited: a room's words must not
 * be skipped), cached (LRU), and rebuilt in the background when the room's version moves.
 *
 * Compiling is CPU work (0.8–1.1 s for 50 000 entries on the bench machine). Global reloads run in a
 * worker thread (FilterCompiler), so this process keeps checking messages with the old filter
 * meanwhile and only pauses to take the result (~20 ms for 50 000 entries). The first load at start
 * (base and store words together) and every reload compile in the worker, and so do room overlays of
 * more than ROOM_INLINE_COMPILE_MAX words (smaller ones, ~0.2–2 ms, compile on the event loop). A global
 * reload keeps the cached room overlays unless the global allow words changed. If the worker cannot
 * run, everything compiles on the event loop (logged once).
 */
export class FilterDictionary {
  private global: GlobalState | undefined;
  /** Newest known version per room (from the store's versions and from announcements). */
  private readonly roomVersions = new Map<string, number>();
  /** Insertion order = recency: a hit is deleted and set again. */
  private readonly rooms = new Map<string, RoomState>();
  private readonly roomLoads = new Map<string, Promise<RoomState>>();
  private wantedGlobal = 0;
  private reloadTimer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private stopped = false;
  private lastError: string | undefined;
  private readonly reloads;
  private readonly reloadFailures;
  private readonly roomBuilds;
  /** Room filters compiled since start, by where. */
  private readonly roomBuildCount = { inline: 0, worker: 0 };

  private readonly compiler: FilterCompiler;

  constructor(private readonly o: FilterDictionaryOptions) {
    this.compiler = new FilterCompiler({
      inline: !o.compileInWorker,
      onFallback: (err) => o.logger.warn({ err }, 'filter compile worker unavailable; compiling on the event loop'),
    });
    this.reloads = o.metrics.counter('roomcast_filter_dictionary_reloads_total', 'global dictionary rebuilds');
    this.reloadFailures = o.metrics.counter('roomcast_filter_dictionary_reload_failures_total', 'dictionary reloads that kept the old filter');
    this.roomBuilds = o.metrics.counter('roomcast_filter_room_builds_total', 'room overlay filters compiled');
  }

  /** Loads and compiles the global scope and reads every room's version. Throws if the base words are unusable. */
  async init(): Promise<void> {
    const versions = await this.o.store.versions();
    for (const [room, v] of versions.rooms) this.roomVersions.set(room, v);
    // Base words are configuration: unusable ones fail this first load (compileGlobal), not skipped.
    await this.reloadGlobal();
  }

  get loaded(): boolean {
    return this.global !== undefined;
  }

  /** The global version in use. */
  get version(): number {
    return this.global?.version ?? 0;
  }

  /**
   * The checker for a message in `roomId`. Synchronous for rooms without words of their own (and
   * cached rooms); a promise on a room's first message after start or eviction.
   */
  checkerFor(roomId: string): WordChecker | Promise<WordChecker> {
    const global = this.requireGlobal();
    const wanted = this.roomVersions.get(roomId);
    if (wanted === undefined) return global.checker;
    const room = this.rooms.get(roomId);
    if (room) {
      this.rooms.delete(roomId);
      this.rooms.set(roomId, room);
      if (room.version < wanted) this.refreshRoom(roomId);
      if (room.global !== global) {
        // Global reloaded since. The room's filters hold unless the global allow words changed
        // (the overlay is compiled with them): then re-layer, else recompile.
        if (!sameWords(room.overlayAllow, global.allow)) return this.loadRoom(roomId).then((r) => r.checker);
        const moved = { ...room, global, checker: layeredChecker(global.filter, room.overlay, room.roomAllow) };
        this.rooms.set(roomId, moved);
        return moved.checker;
      }
      return room.checker;
    }
    return this.loadRoom(roomId).then((r) => r.checker);
  }

  /** A scope changed to `version` (from an announcement or this instance's own admin API). */
  changed(roomId: string | null, version: number): void {
    if (this.stopped) return;
    if (roomId === null) {
      if (version <= this.version) return;
      this.wantedGlobal = Math.max(this.wantedGlobal, version);
      // Idempotent: a timer already set or a build in progress covers this change too.
      this.scheduleGlobal();
      return;
    }
    const known = this.roomVersions.get(roomId) ?? 0;
    if (version <= known) return;
    this.roomVersions.set(roomId, version);
    if (this.rooms.has(roomId)) this.refreshRoom(roomId);
  }

  /** Reads every scope's version from the store and reloads what moved (the safety net for lost announcements). */
  async poll(): Promise<void> {
    const versions = await this.o.store.versions();
    this.changed(null, versions.global);
    for (const [room, v] of versions.rooms) this.changed(room, v);
  }

  /** What /readyz shows. */
  info(): Record<string, unknown> {
    const g = this.global;
    const cached: Record<string, number> = {};
    let n = 0;
    for (const [room, state] of this.rooms) {
      if (n++ >= 50) break;
      cached[room] = state.version;
    }
    return {
      version: g?.version ?? null,
      entries: g ? this.o.base.entries.length + g.managedEntries : 0,
      managedEntries: g?.managedEntries ?? 0,
      allow: g?.allow.length ?? 0,
      buildMs: g ? Math.round(g.buildMs) : null,
      loadedAt: g ? new Date(g.loadedAt).toISOString() : null,
      reloadPending: this.wantedGlobal > (g?.version ?? 0),
      compiledIn: this.compiler.mode,
      rooms: { withWords: this.roomVersions.size, cached: this.rooms.size, builds: { ...this.roomBuildCount }, versions: cached },
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  /** Cancels a scheduled reload and waits for one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = undefined;
    await this.reloading;
    await this.compiler.close();
  }

  private requireGlobal(): GlobalState {
    if (!this.global) throw new Error('dictionary used before init()');
    return this.global;
  }

  private scheduleGlobal(): void {
    // A build in progress re-checks wantedGlobal when it ends; a timer already set covers this too.
    if (this.reloadTimer || this.reloading) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.reloading = this.reloadGlobal()
        .catch((err: unknown) => {
          this.reloadFailures.inc();
          this.lastError = err instanceof Error ? err.message : String(err);
          this.o.logger.error({ err }, 'dictionary reload failed; keeping the previous filter');
        })
        .finally(() => {
          this.reloading = undefined;
          // Changes that arrived while building: one more reload. A failed reload is retried by the next poll.
          if (!this.stopped && this.lastError === undefined && this.wantedGlobal > this.version) this.scheduleGlobal();
        });
    }, this.o.reloadDebounceMs);
  }

  private async reloadGlobal(): Promise<void> {
    const snapshot = await this.o.store.load();
    const allow = [...this.o.base.allow, ...snapshot.allow];
    const started = performance.now();
    // Until it resolves, this.global is the previous filter (and keeps checking, off the worker).
    const filter = await this.compileGlobal([...this.o.base.entries, ...snapshot.entries], allow);
    const buildMs = performance.now() - started;
    this.global = {
      version: snapshot.version,
      filter,
      checker: engineChecker(filter),
      allow,
      managedEntries: snapshot.entries.length,
      managedAllow: snapshot.allow.length,
      buildMs,
      loadedAt: Date.now(),
    };
    this.lastError = undefined;
    this.reloads.inc();
    this.o.logger.info({ version: snapshot.version, entries: this.o.base.entries.length + snapshot.entries.length, buildMs: Math.round(buildMs) }, 'dictionary loaded');
  }

  private loadRoom(roomId: string): Promise<RoomState> {
    let pending = this.roomLoads.get(roomId);
    if (!pending) {
      pending = this.o.store
        .load({ roomId })
        .then((s) => this.layer(roomId, s.version, s.entries, s.allow))
        .finally(() => this.roomLoads.delete(roomId));
      this.roomLoads.set(roomId, pending);
    }
    return pending;
  }

  private refreshRoom(roomId: string): void {
    if (this.roomLoads.has(roomId)) return;
    this.loadRoom(roomId).catch((err: unknown) => {
      this.o.logger.warn({ err, roomId }, 'room dictionary reload failed; keeping the previous one');
    });
  }

  /**
   * The global scope (base words first, then the store's), in the compile worker. The admin API
   * refuses unusable words, but a word written to the store by other means must not stop every
   * reload: the unusable ones are left out (and logged) and the rest compiled. Unusable BASE words
   * are configuration: they throw, the base's own BAD_DICTIONARY naming them (at start-up; the base
   * does not change while the process runs).
   */
  private async compileGlobal(entries: FilterEntry[], allow: string[]): Promise<WordFilter> {
    const build = (e: FilterEntry[], a: string[]) => this.compiler.compile({ entries: e, allow: a, maxTextLength: this.o.maxTextLength });
    const { base } = this.o;
    return this.compileUsable('global', entries, allow, build, async (bad, err) => {
      if (bad.entries.some((i) => i < base.entries.length) || bad.allow.some((i) => i < base.allow.length)) {
        await build(base.entries, base.allow); // throws the base's own error
        throw err;
      }
    });
  }

  /**
   * A room's filter: on the event loop when small (ROOM_INLINE_COMPILE_MAX), else in the worker.
   * Unusable store words are left out as in compileGlobal.
   */
  private async compileRoom(entries: FilterEntry[], allow: string[], scope: string): Promise<WordFilter> {
    const options = (e: FilterEntry[], a: string[]) => ({ entries: e, allow: a, maxTextLength: this.o.maxTextLength });
    const inWorker = entries.length + allow.length > ROOM_INLINE_COMPILE_MAX && this.compiler.mode === 'worker';
    this.roomBuilds.inc();
    this.roomBuildCount[inWorker ? 'worker' : 'inline']++;
    const build = inWorker
      ? (e: FilterEntry[], a: string[]) => this.compiler.compile(options(e, a))
      : (e: FilterEntry[], a: string[]) => Promise.resolve().then(() => createWordFilter(options(e, a)));
    return this.compileUsable(scope, entries, allow, build);
  }

  /**
   * build(entries, allow); on a BAD_DICTIONARY naming unusable words, those are logged and left out in
   * one rebuild. `check` runs first and may throw instead (unusable base words).
   */
  private async compileUsable(
    scope: string,
    entries: FilterEntry[],
    allow: string[],
    build: (e: FilterEntry[], a: string[]) => Promise<WordFilter>,
    check?: (bad: UnusableItems, err: unknown) => Promise<void>,
  ): Promise<WordFilter> {
    try {
      return await build(entries, allow);
    } catch (err) {
      const bad = unusableItems(err);
      if (bad === undefined) throw err;
      await check?.(bad, err);
      const badEntries = new Set(bad.entries);
      const badAllow = new Set(bad.allow);
      this.o.logger.error(
        { scope, skippedEntries: bad.entries.map((i) => entries[i]?.word), skippedAllow: bad.allow.map((i) => allow[i]) },
        'unusable dictionary words skipped',
      );
      return build(
        entries.filter((_, i) => !badEntries.has(i)),
        allow.filter((_, i) => !badAllow.has(i)),
      );
    }
  }

  /** Compiles a room's own words and layers them on the current global filter; caches the result. */
  private async layer(roomId: string, version: number, entries: FilterEntry[], allow: string[]): Promise<RoomState> {
    const global = this.requireGlobal();
    const fresh = (current: RoomState | undefined) => current === undefined || current.version <= version || current.global !== global;
    // An older load finishing after a newer one must not go back in time.
    let current = this.rooms.get(roomId);
    if (!fresh(current)) return current as RoomState;
    const overlayAllow = global.allow;
    const overlay = entries.length === 0 ? undefined : await this.compileRoom(entries, [...overlayAllow, ...allow], roomId);
    // The room's allow words un-list global words in this room: found by a filter of their own.
    const roomAllow = allow.length === 0 ? undefined : await this.compileRoom(allow.map((word) => ({ word, policy: 'mask' as const })), [], `${roomId} allow`);
    current = this.rooms.get(roomId);
    if (!fresh(current)) return current as RoomState;
    const checker = overlay === undefined && roomAllow === undefined ? global.checker : layeredChecker(global.filter, overlay, roomAllow);
    const state: RoomState = { version, global, overlay, overlayAllow, roomAllow, checker };
    this.rooms.delete(roomId);
    this.rooms.set(roomId, state);
    const known = this.roomVersions.get(roomId) ?? 0;
    if (version > known) this.roomVersions.set(roomId, version);
    while (this.rooms.size > this.o.roomCacheSize) {
      const oldest = this.rooms.keys().next().value;
      if (oldest === undefined) break;
      this.rooms.delete(oldest);
    }
    return state;
  }
}

/** The same words in the same order (the global allow list is rebuilt, not edited, on each reload). */
function sameWords(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface UnusableItems {
  entries: number[];
  allow: number[];
}

/** The indices of the unusable items a BAD_DICTIONARY from createWordFilter names; undefined for any other error. */
function unusableItems(err: unknown): UnusableItems | undefined {
  if (!isFilterError(err, 'BAD_DICTIONARY')) return undefined;
  const entries = err.details?.badEntries;
  const allow = err.details?.badAllow;
  if (!Array.isArray(entries) || !Array.isArray(allow)) return undefined;
  return { entries: entries as number[], allow: allow as number[] };
}
