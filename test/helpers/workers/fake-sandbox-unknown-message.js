// The fake sandbox process, misbehaving by: unknown-message (see fake-sandbox.js).
'use strict';
require('./fake-sandbox.js').run('unknown-message');
