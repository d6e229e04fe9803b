// SPDX-License-Identifier: MIT
// WebSocket check through the edge: connect to --url (wss://<chain>.localhost:PORT/)
// trusting --ca, resolve every host to 127.0.0.1, call a method, subscribe to new
// heads, wait for --notifications notifications, unsubscribe. Prints one JSON line
// with what happened; exits 0 only when every step worked, 1 otherwise, within --timeout-ms.
// With --until-close it instead waits for the server side to end the connection.
'use strict';
const fs = require('fs');
let WebSocket;
try {
	WebSocket = require('ws');
} catch (e) {
	console.error('ws_subscribe: npm package ws not found (set NODE_PATH)');
	process.exit(2);
}

const args = {};
for (let i = 2; i < process.argv.length; i++) {
	const key = process.argv[i].replace(/^--/, '');
	const next = process.argv[i + 1];
	if (next === undefined || next.startsWith('--')) args[key] = true; // a flag, e.g. --until-close
	else args[key] = process.argv[++i];
}
const want = parseInt(args.notifications || '1', 10);
const result = { upgraded: false, health: null, subscription: null, notifications: 0, unsubscribed: null, node: null };

const done = (ok, why) => {
	result.ok = ok;
	if (why) result.error = why;
	console.log(JSON.stringify(result));
	process.exit(ok ? 0 : 1);
};
setTimeout(() => done(false, 'timeout'), parseInt(args['timeout-ms'] || '15000', 10)).unref();

const lookup = (host, opts, cb) => {
	if (typeof opts === 'function') cb = opts;
	if (opts && opts.all) return cb(null, [{ address: '127.0.0.1', family: 4 }]);
	cb(null, '127.0.0.1', 4);
};
const ws = new WebSocket(args.url, { ca: args.ca ? fs.readFileSync(args.ca) : undefined, lookup });
ws.on('upgrade', (res) => {
	result.upgraded = res.statusCode === 101;
	result.node = res.headers['x-node'] || null;
});
ws.on('error', (e) => done(false, String(e.message || e)));
// --until-close: succeed when the server side ends the upgraded connection.
ws.on('close', (code) => {
	result.closed = code;
	done(args['until-close'] !== undefined && result.upgraded, args['until-close'] !== undefined ? undefined : 'closed ' + code);
});
ws.on('open', () => {
	ws.send(JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'system_health', params: [] }));
	ws.send(JSON.stringify({ id: 2, jsonrpc: '2.0', method: 'chain_subscribeNewHead', params: [] }));
});
ws.on('message', (data) => {
	const msg = JSON.parse(String(data));
	if (msg.id === 1) result.health = msg.result;
	else if (msg.id === 2) result.subscription = msg.result;
	else if (msg.method === 'chain_newHead' && msg.params.subscription === result.subscription) {
		result.notifications++;
		if (result.notifications === want)
			ws.send(JSON.stringify({ id: 3, jsonrpc: '2.0', method: 'chain_unsubscribeNewHead', params: [result.subscription] }));
	} else if (msg.id === 3) {
		result.unsubscribed = msg.result;
		ws.close(1000);
		done(result.upgraded && result.health !== null && result.unsubscribed === true);
	}
});
