// roomcast room page: the qa feature (issue #14). Plugs into window.roomcastPage (app.js).
'use strict';
