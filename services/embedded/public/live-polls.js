// roomcast room page: the polls feature (issue #14). Plugs into window.roomcastPage (app.js).
'use strict';
