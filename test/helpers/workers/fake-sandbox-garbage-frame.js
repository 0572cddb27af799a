// The fake sandbox process, misbehaving by: garbage-frame (see fake-sandbox.js).
'use strict';
require('./fake-sandbox.js').run('garbage-frame');
