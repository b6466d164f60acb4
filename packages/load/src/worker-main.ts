// Entry point of a worker process (forked by the coordinator): the only side effects are here.
import type { CoordinatorMessage, WorkerMessage } from './ipc';
import { LoadWorker } from './worker';

function send(m: WorkerMessage, then?: () => void): void {
  if (process.send) process.send(m, undefined, {}, then);
  else then?.();
}

const worker = new LoadWorker((m) => send(m));

function fatal(err: unknown): void {
  send({ type: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () =>
    process.exit(1),
  );
}

process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// The coordinator is gone: nobody will read our figures.
process.on('disconnect', () => process.exit(0));

process.on('message', (msg: CoordinatorMessage) => {
  switch (msg.type) {
    case 'init':
      worker.init(msg);
      return;
    case 'send':
      worker.startSending(msg.startAt);
      return;
    case 'poll':
      send({ type: 'count', delivered: worker.delivered(), thinned: worker.thinned() });
      return;
    case 'finish':
      worker.finish().then((result) => send(result, () => process.exit(0)), fatal);
      return;
  }
});

send({ type: 'booted' });
