// Preloaded by bench/idle-memory.ts into the server it measures (node --expose-gc --require):
// on SIGUSR2, collect garbage fully and write process.memoryUsage() as JSON to
// $ROOMCAST_MEMORY_PROBE_FILE. Bench-only: nothing in the services knows about it.
'use strict';
const { writeFileSync, renameSync } = require('node:fs');
const file = process.env.ROOMCAST_MEMORY_PROBE_FILE;
if (file && typeof global.gc === 'function') {
  process.on('SIGUSR2', () => {
    global.gc();
    global.gc();
    writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
    renameSync(`${file}.tmp`, file);
  });
}
