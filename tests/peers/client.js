#!/usr/bin/env node
// The "real client" test: @polkadot/api (pinned 16.5.6) talking to a Polkadot
// JSON-RPC endpoint over HTTP (HttpProvider, Node's fetch/undici) and WebSocket
// (WsProvider, the `ws` package), as a dapp would.
//
//   NODE_PATH=$PF_CACHE/npm/node_modules node tests/peers/client.js \
//       --http https://polkadot.localhost:8443/ --ws wss://polkadot.localhost:8443/ --ca ca.pem \
//       [--edge] [--dev-rpc URL] [--unsafe-code -32601|any] [--timeout 60]
//
// --http URL         HTTP(S) JSON-RPC endpoint (HAProxy's HTTPS front, or chopsticks)
// --ws URL           WS(S) endpoint
// --edge             the two URLs are polkfura's edge. Over HTTP the edge answers an
//                    unsafe call itself, so the refusal must be its own ("RPC call is
//                    unsafe to be called externally", also Substrate's wording;
//                    chopsticks says "Method not found: ..."). Over WebSocket the edge
//                    sees no call (it only routes the upgrade): the node refuses, and
//                    the check says so either way.
// --ca FILE          PEM CA to trust for https/wss. NODE_EXTRA_CA_CERTS is only read
//                    at process start, so the script re-executes itself with
//                    NODE_EXTRA_CA_CERTS=FILE (both undici fetch and ws then trust it).
//                    Setting NODE_EXTRA_CA_CERTS yourself works too.
// --dev-rpc URL      chopsticks endpoint for dev_newBlock, so a second head is produced
//                    while subscribed; directly or through the edge: the edge does not
//                    refuse dev_newBlock (a chopsticks method, not in methods.tsv, so the
//                    edge classes it unknown and forwards it, within PF_RATE_UNKNOWN; the
//                    only dev_ row, Substrate's dev_getBlockStats, is unsafe). Optional:
//                    without it only the initial head (sent right after subscribing) is
//                    required.
// --unsafe-code N    JSON-RPC error code expected for unsafe methods (default -32601,
//                    what polkfura answers). "any" accepts any JSON-RPC error — use it
//                    against chopsticks directly: over HTTP chopsticks sends an error
//                    object with NO "code" (so @polkadot/api reports code undefined),
//                    over WS it sends -32601.
// --timeout S        global timeout (default 60); each check also has its own (15 s).
//
// Output: one "ok - ..." / "not ok - ..." line per check on stdout, then
// "N passed, N failed". Exit 0 only if all passed. Library chatter goes to stderr.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

// ---- args ------------------------------------------------------------------
const opts = { http: null, ws: null, ca: null, edge: false, devRpc: null, unsafeCode: '-32601', timeout: 60 };
{
  const a = process.argv.slice(2);
  const usage = (m) => { process.stderr.write(`client.js: ${m}\n(see the header of ${__filename})\n`); process.exit(2); };
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = () => { if (i + 1 >= a.length) usage(`${k} needs a value`); return a[++i]; };
    if (k === '--http') opts.http = v();
    else if (k === '--ws') opts.ws = v();
    else if (k === '--ca') opts.ca = path.resolve(v());
    else if (k === '--edge') opts.edge = true;
    else if (k === '--dev-rpc') opts.devRpc = v();
    else if (k === '--unsafe-code') opts.unsafeCode = v();
    else if (k === '--timeout') opts.timeout = Number(v());
    else usage(`unknown argument ${k}`);
  }
  if (!opts.http || !opts.ws) usage('--http URL and --ws URL are required');
  if (!(opts.timeout > 0)) usage('bad --timeout');
  if (opts.unsafeCode !== 'any' && !Number.isInteger(Number(opts.unsafeCode))) usage('bad --unsafe-code');
}

// ---- --ca: re-exec with NODE_EXTRA_CA_CERTS (read only at startup) ---------
if (opts.ca && process.env.NODE_EXTRA_CA_CERTS !== opts.ca) {
  if (!fs.existsSync(opts.ca)) { process.stderr.write(`client.js: --ca ${opts.ca}: no such file\n`); process.exit(2); }
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: opts.ca },
  });
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => child.kill(s));
  child.on('exit', (code, sig) => process.exit(code === null ? 1 : code));
  return; // eslint-disable-line no-unreachable
}

// Keep stdout for our TAP-ish lines only: @polkadot/api logs via console.*.
for (const m of ['log', 'info', 'warn', 'error', 'debug']) {
  console[m] = (...args) => process.stderr.write(`[${m}] ${args.map(String).join(' ')}\n`);
}

let ApiPromise, HttpProvider, WsProvider;
try {
  ({ ApiPromise, HttpProvider, WsProvider } = require('@polkadot/api'));
} catch (e) {
  process.stdout.write(`not ok - load @polkadot/api (${e.message}; set NODE_PATH=$PF_CACHE/npm/node_modules)\n0 passed, 1 failed\n`);
  process.exit(1);
}

// ---- tiny harness ----------------------------------------------------------
let passed = 0;
let failed = 0;
let finished = false;
function line(s) { process.stdout.write(`${s}\n`); }
function summary() { line(`${passed} passed, ${failed} failed`); }
function finish(code) {
  if (finished) return;
  finished = true;
  summary();
  process.exit(code);
}
const globalTimer = setTimeout(() => {
  failed++;
  line(`not ok - global timeout: still running after ${opts.timeout}s`);
  finish(1);
}, opts.timeout * 1000);

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms / 1000}s: ${what}`)), ms); })])
    .finally(() => clearTimeout(t));
}
async function check(name, fn, ms = 15000) {
  try {
    const detail = await withTimeout(Promise.resolve().then(fn), ms, name);
    passed++;
    line(`ok - ${name}${detail ? ` (${detail})` : ''}`);
    return true;
  } catch (e) {
    failed++;
    // undici's "fetch failed" hides the reason (TLS, ECONNREFUSED...) in .cause
    const cause = e && e.cause ? ` [cause: ${e.cause.code || ''} ${e.cause.message || e.cause}]` : '';
    line(`not ok - ${name}: ${String(e && e.message || e).split('\n')[0].slice(0, 300)}${cause}`);
    return false;
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An unsafe call must be refused with a JSON-RPC error object, i.e. the
// promise rejects with @polkadot's RpcError (message "<code>: <message>").
// <wantMessage>, when set, is the exact error message required.
function expectRpcError(promise, wantMessage = null) {
  return promise.then(
    (res) => { throw new Error(`expected a JSON-RPC error, got result ${JSON.stringify(res).slice(0, 100)}`); },
    (err) => {
      // HttpProvider appends "\nFailed HTTP Request: {...}": keep the first line.
      const msg = String(err && err.message || err).split('\n')[0];
      const isRpc = err && err.constructor && err.constructor.name === 'RpcError';
      // Note: HttpProvider turns any non-2xx HTTP status into a plain Error
      // ("[403]: Forbidden"), so a refusal must come back as HTTP 200 + error object.
      if (!isRpc) {
        const cause = err && err.cause ? ` [cause: ${err.cause.code || ''} ${err.cause.message || err.cause}]` : '';
        throw new Error(`not a JSON-RPC error object: ${msg}${cause}`);
      }
      // -99999 is RpcError's placeholder when the error object has no "code".
      const code = err.code === -99999 ? 'none' : err.code;
      if (opts.unsafeCode !== 'any' && err.code !== Number(opts.unsafeCode)) {
        throw new Error(`expected code ${opts.unsafeCode}, got ${code} (${msg})`);
      }
      // RpcError's message is "<code>: <message>"; data, if any, follows after ": ".
      const text = err.message.split('\n')[0].replace(/^-?\d+: /, '');
      if (wantMessage !== null && text !== wantMessage) {
        throw new Error(`expected "${wantMessage}", got "${text}": not the edge's answer`);
      }
      return `rejected: code ${code}, "${msg}"`;
    });
}

// Raw JSON-RPC over HTTP POST (only used for dev_newBlock on --dev-rpc).
async function rawHttp(url, method, params = []) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const j = await r.json();
  if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
  return j.result;
}

const headerNumber = (h) => {
  const n = h && h.number && h.number.toNumber ? h.number.toNumber() : NaN;
  if (!Number.isInteger(n) || n < 0) throw new Error(`header without a valid number: ${String(h).slice(0, 200)}`);
  return n;
};

// ---- the checks ------------------------------------------------------------
(async () => {
  let httpApi = null;
  let wsApi = null;
  let httpProvider = null;
  let wsProvider = null;
  try {
    // 1. HTTP ----------------------------------------------------------------
    httpProvider = new HttpProvider(opts.http);
    const httpUp = await check(`http: ApiPromise.create over HttpProvider ${opts.http}`, async () => {
      httpApi = await ApiPromise.create({ provider: httpProvider, noInitWarn: true, throwOnConnect: true });
      return `genesis ${httpApi.genesisHash.toHex().slice(0, 18)}…, ${httpApi.runtimeVersion.specName} v${httpApi.runtimeVersion.specVersion}`;
    }, 30000);
    if (httpUp) {
      await check('http: chain.getHeader returns a numbered header', async () => {
        const h = await httpApi.rpc.chain.getHeader();
        return `#${headerNumber(h)} ${h.hash.toHex().slice(0, 18)}…`;
      });
      await check('http: system.chain', async () => {
        const c = (await httpApi.rpc.system.chain()).toString();
        if (!c) throw new Error('empty chain name');
        return c;
      });
    }
    // Through the edge HAProxy answers it and no node sees the call.
    await check(`http: unsafe author_rotateKeys is refused with a JSON-RPC error by the ${opts.edge ? 'edge' : 'node'}`,
      () => expectRpcError(httpProvider.send('author_rotateKeys', []),
        opts.edge ? 'RPC call is unsafe to be called externally' : null));

    // 2. WebSocket -------------------------------------------------------------
    // autoConnectMs=1000 (reconnect), request timeout 10 s.
    wsProvider = new WsProvider(opts.ws, 1000, {}, 10000);
    const wsUp = await check(`ws: ApiPromise.create over WsProvider ${opts.ws}`, async () => {
      wsApi = await ApiPromise.create({ provider: wsProvider, noInitWarn: true, throwOnConnect: true });
      return `${(await wsApi.rpc.system.chain()).toString()}`;
    }, 30000);
    if (wsUp) {
      let n0 = null;
      await check('ws: chain.getHeader returns a numbered header', async () => {
        const h = await wsApi.rpc.chain.getHeader();
        n0 = headerNumber(h);
        return `#${n0}`;
      });

      await check(`ws: chain.subscribeNewHeads delivers ${opts.devRpc ? 'the current head and a new block' : 'the current head'}, then unsubscribes`, async () => {
        const heads = [];
        let wake = null;
        const unsub = await wsApi.rpc.chain.subscribeNewHeads((h) => { heads.push(headerNumber(h)); if (wake) wake(); });
        const waitFor = async (count, ms, what) => {
          const until = Date.now() + ms;
          while (heads.length < count) {
            if (Date.now() > until) throw new Error(`no ${what} within ${ms / 1000}s (got heads ${JSON.stringify(heads)})`);
            await new Promise((r) => { wake = r; setTimeout(r, 200); });
          }
        };
        await waitFor(1, 5000, 'initial head');
        if (opts.devRpc) {
          const hash = await rawHttp(opts.devRpc, 'dev_newBlock');
          await waitFor(2, 8000, `head for dev_newBlock ${String(hash).slice(0, 18)}`);
          if (heads[heads.length - 1] <= heads[0]) throw new Error(`head did not advance: ${JSON.stringify(heads)}`);
        }
        // Note: @polkadot/api delays the wire-level chain_unsubscribeNewHeads by
        // ~1.75 s (refCountDelay); the raw round trip below checks the protocol.
        unsub();
        return `heads ${heads.map((n) => `#${n}`).join(', ')}`;
      });

      await check('ws: raw chain_subscribeNewHeads / chain_unsubscribeNewHeads round trip', async () => {
        let got = 0;
        const id = await wsProvider.subscribe('chain_newHead', 'chain_subscribeNewHeads', [], (err) => { if (!err) got++; });
        const until = Date.now() + 5000;
        while (!got && Date.now() < until) await sleep(50);
        if (!got) throw new Error('no notification for the raw subscription');
        const ok = await wsProvider.unsubscribe('chain_newHead', 'chain_unsubscribeNewHeads', id);
        // Substrate nodes answer true; chopsticks 1.5.1 answers null. false = not unsubscribed.
        if (ok !== true && ok !== null) throw new Error(`unsubscribe returned ${JSON.stringify(ok)}`);
        return `subscription id ${id}, unsubscribe -> ${JSON.stringify(ok)}`;
      });
    }
    // The edge never sees calls inside a WebSocket: this refusal is the node's own.
    await check(`ws: unsafe author_insertKey is refused with a JSON-RPC error by the node${opts.edge ? ' (the edge does not see calls inside a WebSocket)' : ''}`,
      () => expectRpcError(wsProvider.send('author_insertKey',
        ['aura', '//Alice', '0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d'])));
    if (wsUp) {
      await check('ws: connection still usable after the refused call', async () => {
        const h = await wsApi.rpc.system.health();
        return `peers ${h.peers.toNumber()}`;
      });
    }
  } catch (e) {
    failed++;
    line(`not ok - unexpected error: ${e && e.stack ? e.stack.split('\n')[0] : e}`);
  } finally {
    clearTimeout(globalTimer);
    // Disconnect but don't wait long: a stuck close must not hang the run.
    await Promise.race([
      Promise.allSettled([wsApi && wsApi.disconnect(), httpApi && httpApi.disconnect(),
        wsProvider && !wsApi && wsProvider.disconnect()]),
      sleep(2000),
    ]);
  }
  finish(failed === 0 && passed > 0 ? 0 : 1);
})();
