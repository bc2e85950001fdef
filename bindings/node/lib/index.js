// require("polysock"): the synchronous API (see README.md).
'use strict';

module.exports = require('./runtime').load().sync;
