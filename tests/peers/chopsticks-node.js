#!/usr/bin/env node
// Launch @acala-network/chopsticks as a real Substrate runtime, fully offline,
// from the raw chain spec shipped in @substrate/connect-known-chains
// (default: rococo_v2_2_asset_hub, an Aura parachain, which chopsticks needs).
//
//   NODE_PATH=$PF_CACHE/npm/node_modules node tests/peers/chopsticks-node.js --port 9944
//
// Prints exactly one line on stdout, "READY <port>", once the node answers
// JSON-RPC over HTTP POST *and* WebSocket on 127.0.0.1:<port>; then stays in
// the foreground until SIGTERM/SIGINT, which stops chopsticks and removes the
// temp dir. Exits non-zero (with one "chopsticks-node: FAILED ..." line on
// stderr) if chopsticks dies or is not ready within --timeout seconds.
//
// Options:
//   --port P          TCP port (default 9944; 0 = let the OS pick, READY shows it)
//   --host H          listen address (default 127.0.0.1)
//   --chain NAME      spec name in @substrate/connect-known-chains (default rococo_v2_2_asset_hub)
//   --block-mode M    chopsticks --build-block-mode: Manual|Instant|Batch (default Manual:
//                     blocks only on dev_newBlock, so tests are deterministic)
//   --timeout S       readiness timeout in seconds (default 60)
//   --log FILE        chopsticks' own output (default <tmpdir>/chopsticks.log; "-" = stderr)
//
// Pitfall handled here: if the requested port is busy, chopsticks silently
// listens on port+1..port+9 instead. We parse its "RPC listening on" line and
// fail if the port is not the one asked for.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const { spawn } = require('child_process');

function die(msg, code = 1) {
  process.stderr.write(`chopsticks-node: FAILED: ${msg}\n`);
  process.exit(code);
}

// ---- args ------------------------------------------------------------------
const opts = { port: 9944, host: '127.0.0.1', chain: 'rococo_v2_2_asset_hub',
  blockMode: 'Manual', timeout: 60, log: null };
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = () => { if (i + 1 >= a.length) die(`${k} needs a value`, 2); return a[++i]; };
    if (k === '--port') opts.port = Number(v());
    else if (k === '--host') opts.host = v();
    else if (k === '--chain') opts.chain = v();
    else if (k === '--block-mode') opts.blockMode = v();
    else if (k === '--timeout') opts.timeout = Number(v());
    else if (k === '--log') opts.log = v();
    else if (k === '-h' || k === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 24)
        .map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else die(`unknown argument ${k} (see --help)`, 2);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) die('bad --port', 2);
  if (!(opts.timeout > 0)) die('bad --timeout', 2);
}

// ---- locate packages (NODE_PATH or a node_modules above us) ---------------
function findPkgDir(name) {
  for (const p of require.resolve.paths(name) || []) {
    const d = path.join(p, name);
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
  }
  return null;
}
const csDir = findPkgDir('@acala-network/chopsticks');
if (!csDir) die('@acala-network/chopsticks not found: run tests/peers/install.sh and set NODE_PATH=$PF_CACHE/npm/node_modules');
const csBin = path.join(csDir, 'chopsticks.cjs');

let chainSpec;
try {
  chainSpec = require(`@substrate/connect-known-chains/${opts.chain}`).chainSpec;
} catch (e) {
  die(`cannot load chain spec @substrate/connect-known-chains/${opts.chain}: ${e.message}`);
}
if (typeof chainSpec !== 'string') die(`${opts.chain}: chainSpec export is not a string`);

// ---- fail fast if the port is taken (chopsticks would silently use port+N)
async function portFree(port, host) {
  if (!port) return true;
  return new Promise((resolve) => {
    const srv = require('net').createServer();
    srv.once('error', (e) => resolve(e.code !== 'EADDRINUSE'));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

(async () => {
if (!(await portFree(opts.port, opts.host))) die(`port ${opts.host}:${opts.port} is already in use`);

// ---- temp dir + spec -------------------------------------------------------
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-chopsticks-'));
const specFile = path.join(tmp, `${opts.chain}.json`);
fs.writeFileSync(specFile, chainSpec);
const logFile = opts.log === '-' ? null : (opts.log || path.join(tmp, 'chopsticks.log'));
const keepLog = !!opts.log; // the default log lives in tmp and goes away with it

const args = [csBin,
  '--genesis', specFile,
  '--host', opts.host,
  '--port', String(opts.port),
  '--build-block-mode', opts.blockMode,
];
// No --db: chopsticks keeps everything in memory (sqlite3 is never loaded).
const t0 = Date.now();
let logFd = null;
if (logFile) {
  logFd = fs.openSync(logFile, 'a');
  fs.writeSync(logFd, `# ${process.execPath} ${args.join(' ')}\n`);
}
const child = spawn(process.execPath, args, {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
});

let outBuf = '';
let listenPort = null;
let tail = [];
function onOutput(chunk) {
  const s = chunk.toString();
  if (logFd !== null) fs.writeSync(logFd, s); else process.stderr.write(s);
  outBuf = (outBuf + s).slice(-4096);
  tail = outBuf.split('\n').filter((l) => l.trim()).slice(-8);
  const m = /RPC listening on http:\/\/\S*?:(\d+)/.exec(outBuf);
  if (m && listenPort === null) listenPort = Number(m[1]);
}
child.stdout.on('data', onOutput);
child.stderr.on('data', onOutput);

let stopping = false;
let ready = false;
function cleanup() {
  try { if (logFd !== null) fs.closeSync(logFd); } catch (_) { /* ignore */ }
  logFd = null;
  try { fs.rmSync(tmp, { recursive: true, force: true }); } catch (_) { /* ignore */ }
}
function stop(code) {
  if (stopping) return;
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const k = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(k); cleanup(); process.exit(code); });
  } else {
    cleanup();
    process.exit(code);
  }
}
function fail(msg) {
  process.stderr.write(`chopsticks-node: FAILED: ${msg}\n`);
  stop(1);
}
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => stop(0));
process.on('exit', () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });

child.on('exit', (code, sig) => {
  if (stopping) return;
  const why = `chopsticks exited (code ${code}, signal ${sig}) ${ready ? 'after' : 'before'} READY; last output: ${tail.join(' | ').slice(-600)}`;
  cleanup();
  die(why);
});

// ---- readiness: HTTP POST chain_getHeader, then a WS round trip -----------
function httpRpc(port, method, params = []) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
    const req = http.request({ host: opts.host, port, path: '/', method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: 2000 }, (res) => {
      let d = '';
      res.on('data', (c) => { d += c; });
      res.on('end', () => { try { resolve(JSON.parse(d)); } catch (e) { reject(e); } });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}
function wsRpc(port, method, params = []) {
  let WebSocket;
  try { WebSocket = require('ws'); } catch (_) { return Promise.resolve(null); }
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return new Promise((resolve, reject) => {
    const w = new WebSocket(`ws://${host}:${port}`);
    const t = setTimeout(() => { w.terminate(); reject(new Error('ws timeout')); }, 3000);
    w.on('open', () => w.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })));
    w.on('message', (m) => { clearTimeout(t); w.close(); try { resolve(JSON.parse(String(m))); } catch (e) { reject(e); } });
    w.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const deadline = t0 + opts.timeout * 1000;
  while (!stopping) {
    if (Date.now() > deadline) {
      fail(`not ready after ${opts.timeout}s; last output: ${tail.join(' | ').slice(-600)}`);
      return;
    }
    // Poll the port chopsticks reports; before that line shows up, poll the
    // requested one (unless the OS picks it).
    const port = listenPort !== null ? listenPort : (opts.port || null);
    if (port) {
      try {
        const r = await httpRpc(port, 'chain_getHeader');
        if (r && r.result && typeof r.result.number === 'string') {
          if (listenPort === null) { await sleep(100); continue; } // wait for the log line (port check)
          if (opts.port && listenPort !== opts.port) {
            fail(`port ${opts.port} is busy: chopsticks moved to ${listenPort} (it does that silently)`);
            return;
          }
          const w = await wsRpc(port, 'system_health');
          if (w !== null && !(w && w.result)) throw new Error('ws not answering');
          ready = true;
          const secs = ((Date.now() - t0) / 1000).toFixed(1);
          process.stderr.write(`chopsticks-node: ${opts.chain} #${parseInt(r.result.number, 16)} on ${opts.host}:${port} after ${secs}s (pid ${child.pid}${keepLog ? `, log ${logFile}` : ''})\n`);
          process.stdout.write(`READY ${port}\n`);
          return;
        }
      } catch (_) { /* not up yet */ }
    }
    await sleep(100);
  }
})();
})();
