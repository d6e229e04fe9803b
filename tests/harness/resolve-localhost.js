// SPDX-License-Identifier: MIT
// Preload (node --require) for tests: resolve every *.localhost name to
// 127.0.0.1, as RFC 6761 says it should, so clients can send the real
// Host header (polkadot.localhost) that HAProxy routes on. glibc does not.
'use strict';
const dns = require('dns');
const real = dns.lookup;
dns.lookup = function (host, opts, cb) {
	if (typeof opts === 'function') {
		cb = opts;
		opts = {};
	}
	if (typeof host === 'string' && /(^|\.)localhost$/i.test(host)) {
		const o = typeof opts === 'number' ? { family: opts } : opts || {};
		if (o.all) return process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }]);
		return process.nextTick(cb, null, '127.0.0.1', 4);
	}
	return real.call(this, host, opts, cb);
};
