/**
 * The faults of a chaos run, one after another: each waits for its slot and for the previous one
 * to have recovered, so the system is whole again before the next blow.
 */

export interface FaultStep {
  /** What is hit: a service process or an infrastructure server. */
  target: string;
  action: 'kill -9 + restart' | 'restart';
  /** Does it; resolves once the target answers again (service `/readyz`, infra probe). */
  run(): Promise<void>;
}

export interface FaultRecord {
  target: string;
  action: FaultStep['action'];
  /** When it was done, ms from the start of the load. */
  atMs: number;
  /** From the fault to the target answering again, ms. */
  recoveredMs: number | null;
  error?: string;
}

export interface FaultPlan {
  /** The first fault, ms from the start of the load. */
  firstAtMs: number;
  /** Faults are at least this far apart, ms. */
  intervalMs: number;
  /** And each comes at least this long after the previous target answered again, ms. */
  settleMs: number;
}

/**
 * Runs `steps` in order from `startedAt` (epoch ms) on, records each, and resolves when the last
 * one has recovered (or failed: a target that does not come back is recorded, not thrown).
 */
export async function runFaults(
  steps: FaultStep[],
  plan: FaultPlan,
  startedAt: number,
  log: (line: string) => void,
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  let due = startedAt + plan.firstAtMs;
  for (const step of steps) {
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const at = Date.now();
    const record: FaultRecord = {
      target: step.target,
      action: step.action,
      atMs: at - startedAt,
      recoveredMs: null,
    };
    log(`t=${(record.atMs / 1000).toFixed(1)}s ${step.action} ${step.target}`);
    try {
      await step.run();
      record.recoveredMs = Date.now() - at;
      log(`  ${step.target} back after ${record.recoveredMs} ms`);
    } catch (err) {
      record.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
      log(`  ${step.target} FAILED: ${record.error}`);
    }
    records.push(record);
    due = Math.max(at + plan.intervalMs, Date.now() + plan.settleMs);
  }
  return records;
}
