// The fake sandbox process, misbehaving by: oversize-frame (see fake-sandbox.js).
'use strict';
require('./fake-sandbox.js').run('oversize-frame');
