// roomcast room page: the mentions feature (issue #14). Plugs into window.roomcastPage (app.js).
'use strict';
