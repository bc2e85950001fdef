// require("polysock/promises"): the Promise API (see README.md).
'use strict';

module.exports = require('./runtime').load().promises;
