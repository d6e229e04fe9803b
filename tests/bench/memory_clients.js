// SPDX-License-Identifier: MIT
// Clients for tests/bench/memory_bench.sh: opens N TLS connections to HAProxy
// and holds them in one of two states, then waits for stdin to close.
//   idle     handshake done, nothing sent
//   partial  headers of a POST announcing 61,440 bytes and all of them but
//            the last, so HAProxy (option http-buffer-request) holds a nearly
//            full request buffer while it waits for the rest: the most a
//            request the edge accepts can make it hold (PF_REQ_FULL)
// Prints "ready N" once every connection is in its state, "error ..." and
// exits 1 on the first failure. Loopback only; N bounded by the caller.
'use strict';
const tls = require('tls');

const [port, count, mode] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
if (!(port > 0) || !(count > 0 && count <= 5000) || !['idle', 'partial'].includes(mode)) {
	console.log('usage: memory_clients.js PORT COUNT idle|partial');
	process.exit(2);
}
const BODY_LEN = 61440;
const SENT = BODY_LEN - 1;
const head =
	'POST / HTTP/1.1\r\nHost: polkadot.localhost\r\nContent-Type: application/json\r\n' +
	`Content-Length: ${BODY_LEN}\r\n\r\n`;
const part = '{"jsonrpc":"2.0","id":1,"method":"system_health","params":["' + 'a'.repeat(SENT - 60);

const sockets = [];
let ready = 0;
function fail(why) {
	console.log('error ' + why);
	process.exit(1);
}
// Sequential handshakes: the point is memory, not connection rate.
function open(i) {
	if (i === count) return;
	const s = tls.connect({ host: '127.0.0.1', port, servername: 'polkadot.localhost', rejectUnauthorized: false });
	s.on('error', (e) => fail(`connection ${i}: ${e.message}`));
	s.on('close', () => fail(`connection ${i} closed by HAProxy`));
	s.on('data', (d) => fail(`connection ${i}: unexpected answer ${JSON.stringify(d.toString().slice(0, 80))}`));
	s.on('secureConnect', () => {
		const done = () => {
			if (++ready === count) console.log('ready ' + count);
			open(i + 1);
		};
		if (mode === 'partial') s.write(head + part, done);
		else done();
	});
	sockets.push(s);
}
open(0);
process.stdin.on('end', () => {
	for (const s of sockets) {
		s.removeAllListeners('close');
		s.destroy();
	}
	process.exit(0);
});
process.stdin.resume();
