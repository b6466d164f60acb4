// Preloaded into the process under test by the protocol fuzz (NODE_OPTIONS="--expose-gc --require
// <this file>"), never by the services themselves: on SIGUSR2 it collects all garbage and appends
// the process's memory after it, one JSON line, to the file named by ROOMCAST_HEAP_PROBE_FILE. Heap
// after a full collection tells retained memory from garbage V8 has not collected yet, which raw
// RSS cannot. Plain CommonJS: --require runs before tsx is loaded.
'use strict';
const { appendFileSync } = require('node:fs');

const file = process.env.ROOMCAST_HEAP_PROBE_FILE;
if (file && typeof global.gc === 'function') {
  process.on('SIGUSR2', () => {
    global.gc();
    global.gc();
    const m = process.memoryUsage();
    appendFileSync(
      file,
      `${JSON.stringify({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers })}\n`,
    );
  });
}
