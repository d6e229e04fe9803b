#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// Captures the runtime-API answers check_hapi_cmd parses from a real haproxy:
// starts it on lab.cfg (then lab2.cfg), sends the commands listed below over
// the stats socket, one connection per line as `socat - UNIX:<sock>` does,
// and writes every answer byte for byte into <out>/<name>.
//
//   node tests/unit/data/hapi/capture.js --haproxy /usr/sbin/haproxy --out DIR
//
// lab.cfg and lab2.cfg name their sockets /tmp/hapi_lab/admin.sock and
// /tmp/hapi_lab2/admin.sock (created here; haproxy's output goes to
// haproxy.log beside them). Waits poll the server states
// with a deadline; nothing sleeps as synchronisation. Each haproxy is stopped
// with SIGUSR1 and must exit 0. Exit 0 when every file was written.
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');

const here = __dirname;

function usage(msg) {
  if (msg) console.error(`capture.js: ${msg}`);
  console.error('usage: capture.js --haproxy BIN --out DIR');
  process.exit(2);
}

const args = { haproxy: null, out: null };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || process.argv[i + 1] === undefined) usage(`bad argument ${process.argv[i]}`);
  args[k] = process.argv[i + 1];
}
if (!args.haproxy || !args.out) usage('--haproxy and --out are required');

// One command line on a fresh connection; resolves with the whole answer.
function cli(sock, line) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const c = net.createConnection(sock);
    c.setTimeout(5000, () => c.destroy(new Error(`timeout on "${line}"`)));
    c.on('connect', () => c.end(`${line}\n`));
    c.on('data', (d) => chunks.push(d));
    c.on('error', reject);
    c.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

const tick = () => new Promise((r) => setTimeout(r, 50)); // poll interval

async function until(what, fn, seconds = 15) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

// "show servers state" rows as {be/srv: columns[]}.
async function states(sock) {
  const rows = {};
  for (const l of (await cli(sock, 'show servers state')).toString().split('\n')) {
    const f = l.split(' ');
    if (f.length > 20 && l[0] !== '#') rows[`${f[1]}/${f[3]}`] = f;
  }
  return rows;
}

// srv_check_status column and its values (HCHK_STATUS_* of include/haproxy/check-t.h).
const CHECK = 10;
const L4OK = '6';
const L4CON = '8';
const L7OK = '15';

async function start(cfg, sock) {
  fs.mkdirSync(path.dirname(sock), { recursive: true });
  fs.rmSync(sock, { force: true });
  const logPath = path.join(path.dirname(sock), 'haproxy.log');
  const log = fs.openSync(logPath, 'w');
  const child = spawn(args.haproxy, ['-db', '-f', path.join(here, cfg)], {
    stdio: ['ignore', log, log],
  });
  const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  await until(`${cfg} up`, async () => {
    if (child.exitCode !== null) throw new Error(`haproxy exited at start (${cfg}, see ${logPath})`);
    try {
      return (await cli(sock, 'show info')).includes('Pid: ');
    } catch (e) {
      return false;
    }
  });
  return { child, exited };
}

async function stop(h, cfg) {
  h.child.kill('SIGUSR1'); // soft stop
  const r = await Promise.race([h.exited, new Promise((res) => setTimeout(res, 10000, null))]);
  if (r === null) {
    h.child.kill('SIGKILL');
    throw new Error(`haproxy (${cfg}) did not stop within 10 s`);
  }
  if (r.code !== 0) throw new Error(`haproxy (${cfg}) exited ${r.code} ${r.sig || ''}`);
}

async function save(sock, name, line) {
  fs.writeFileSync(path.join(args.out, name), await cli(sock, line));
}

async function lab() {
  const sock = '/tmp/hapi_lab/admin.sock';
  const h = await start('lab.cfg', sock);
  const setup = [
    'set server be_polkadot/node1 addr 127.0.0.1 port 19944; set server be_polkadot/node1 state ready',
    'set server be_polkadot/node2 addr 127.0.0.2 port 19944; set server be_polkadot/node2 state ready; set server be_polkadot/node2 state drain',
    'set server be_polkadot/node4 addr 127.0.0.1 port 19944; set server be_polkadot/node4 state ready',
    'set server be_polkadot/node5 addr ::1 port 19944; set server be_polkadot/node5 weight 7; set server be_polkadot/node5 state ready',
    'set server be_polkadot_heavy/node1 weight 3',
    'set server be_static/static1 state maint; set server be_static/static2 state drain',
  ];
  for (const l of setup) await cli(sock, l);
  // node4's check passes before it is put in maint by hand.
  await until('node4 checked', async () => (await states(sock))['be_polkadot/node4'][CHECK] === L7OK);
  await cli(sock, 'set server be_polkadot/node4 state maint');
  // Every check has its result: node1, node5 (L7OK) and static2 (L4OK) up,
  // node2 and static4 refused (L4CON).
  const settled = {
    'be_polkadot/node1': L7OK, 'be_polkadot/node5': L7OK, 'be_static/static2': L4OK,
    'be_polkadot/node2': L4CON, 'be_static/static4': L4CON,
  };
  await until('checks settled', async () => {
    const s = await states(sock);
    return Object.entries(settled).every(([k, v]) => s[k][CHECK] === v);
  });
  await save(sock, 'servers_state.txt', 'show servers state');
  await save(sock, 'servers_state_polkadot.txt', 'show servers state be_polkadot');
  await save(sock, 'servers_state_nobackend.txt', 'show servers state nope');
  await save(sock, 'info.txt', 'show info');
  await save(sock, 'stat.csv', 'show stat');
  // What polkfura-ctl sends at the start of every round.
  await save(sock, 'multi_info_state.txt', 'show info; show servers state');

  const singles = [
    ['err_no_server.txt', 'set server be_polkadot/nope state drain'],
    ['err_no_backend.txt', 'set server nope/node1 state drain'],
    ['err_require.txt', 'set server be_polkadot state drain'],
    ['err_state.txt', 'set server be_polkadot/node1 state bogus'],
    ['err_weight.txt', 'set server be_polkadot/node1 weight 999'],
    ['err_weight_garbage.txt', 'set server be_polkadot/node1 weight abc'],
    ['err_require_weight.txt', 'set server be_polkadot/node1 weight'],
    ['err_unknown_cmd.txt', 'frobnicate'],
    ['err_shutdown_no_server.txt', 'shutdown sessions server be_polkadot/nope'],
    ['ok_shutdown.txt', 'shutdown sessions server be_polkadot/node1'],
    ['ok_weight_tracking.txt', 'set server be_polkadot_heavy/node1 weight 3'],
    ['multi_drain_weight.txt',
      'set server be_polkadot/node2 state drain; set server be_polkadot/node2 weight 5'],
    ['multi_mixed.txt',
      'set server be_static/static4 addr 127.0.0.1 port 19945; ' +
      'set server be_polkadot/nope state drain; set server be_polkadot/node1 weight 1; ' +
      'shutdown sessions server be_polkadot/node1; set server be_polkadot/node1 weight 999; ' +
      'set server be_polkadot/node1 state ready'],
    ['multi_garbage_weight.txt',
      'set server be_polkadot/node1 weight abc; set server be_polkadot/nope state drain; ' +
      'set server be_polkadot/node1 weight 1'],
    ['multi_trailing_garbage.txt',
      'set server be_polkadot/node1 weight 1x; set server be_polkadot/node1 weight 1'],
    ['multi_semicolon_escape.txt',
      'set server be_polkadot/no\\;de state drain; show servers state nope'],
    // static4 is 127.0.0.1:19945 here; each answer depends on the one before.
    ['addr_same.txt', 'set server be_static/static4 addr 127.0.0.1 port 19945'],
    ['addr_ip6_port.txt', 'set server be_static/static4 addr ::1 port 19944'],
    ['addr_back.txt', 'set server be_static/static4 addr 127.0.0.1 port 19945'],
    ['addr_ip_only.txt', 'set server be_static/static4 addr 127.0.0.2'],
    [null, 'set server be_static/static4 addr 127.0.0.1'],
    ['addr_bracket.txt', 'set server be_static/static4 addr [::1] port 19945'],
    ['addr_badport.txt', 'set server be_static/static4 addr 127.0.0.1 port 99999'],
    ['addr_badport2.txt', 'set server be_static/static4 addr 127.0.0.1 port 12ab'],
    ['addr_invalid.txt', 'set server be_static/static4 addr 1.2.3.4.5'],
    ['addr_hostname.txt', 'set server be_static/static4 addr localhost'],
    ['addr_require.txt', 'set server be_static/static4 addr'],
    // static1 has checks and no check port: a port map is refused after the IP change.
    ['addr_portmap_err.txt', 'set server be_static/static1 addr 127.0.0.9 port +1'],
  ];
  for (const [name, line] of singles) {
    if (name === null) await cli(sock, line);
    else await save(sock, name, line);
  }
  await stop(h, 'lab.cfg');
}

async function lab2() {
  const sock = '/tmp/hapi_lab2/admin.sock';
  const h = await start('lab2.cfg', sock);
  await save(sock, 'servers_state_unresolved.txt', 'show servers state');
  await save(sock, 'addr_family_err.txt', 'set server be_unres/u1 addr 127.0.0.1 port 9944');
  await stop(h, 'lab2.cfg');
}

(async () => {
  fs.mkdirSync(args.out, { recursive: true });
  await lab();
  await lab2();
  console.error(`capture.js: answers of ${args.haproxy} written to ${args.out}`);
})().catch((e) => {
  console.error(`capture.js: FAILED: ${e.message}`);
  process.exit(1);
});
