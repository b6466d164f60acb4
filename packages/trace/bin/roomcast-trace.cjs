#!/usr/bin/env node
// The workspace runs TypeScript from source: register tsx, then run the CLI.
'use strict';
require('tsx/cjs');
require('../src/cli.ts');
