export { runLoad, RunFailure, type LiveStatus, type RunHooks } from './coordinator';
export { parseCli, USAGE } from './args';
export {
  DEFAULT_OPTIONS,
  resolveSourceAddresses,
  resolveWorkers,
  LOAD_PROTOCOLS,
  type LoadOptions,
  type LoadProtocol,
  type LoadTarget,
} from './options';
export { buildPlan, chatText, type ConnectionSpec, type LoadPlan, type WorkerPlan } from './plan';
export {
  createHistogram,
  recordMicros,
  encodeHistogram,
  decodeHistogram,
  mergeEncoded,
  percentilesMs,
  type PercentilesMs,
} from './histogram';
export { SeqTracker, type SeqVerdict } from './seq-tracker';
export { consolidateRooms, type Accounting, type RoomAccounting } from './accounting';
export { buildReport, formatSummary, verdictOf, type LoadReport, type TimelinePoint } from './report';
export { renderHtmlReport } from './report-html';
export {
  startStubServer,
  STUB_DEFAULTS,
  type StubServer,
  type StubServerOptions,
  type StubStats,
} from './stub-server';
export { parseStubCli, STUB_USAGE } from './stub-args';
export { ScannedBatch, scanMessagesFrame, scanRoomcastMessage } from './frame-scan';
