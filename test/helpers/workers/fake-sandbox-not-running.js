// The fake sandbox process, misbehaving by: not-running (see fake-sandbox.js).
'use strict';
require('./fake-sandbox.js').run('not-running');
