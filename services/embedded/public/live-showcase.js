// roomcast room page: the showcase feature (issue #14). Plugs into window.roomcastPage (app.js).
'use strict';
