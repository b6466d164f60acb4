// roomcast room page: the gifts feature (issue #14). Plugs into window.roomcastPage (app.js).
'use strict';
