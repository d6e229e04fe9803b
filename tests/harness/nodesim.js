#!/usr/bin/env node
// nodesim.js: a steerable Substrate (Polkadot/Kusama) JSON-RPC node simulator.
//
// One process simulates many API nodes, each on its own TCP port (HTTP and WebSocket upgrade on the
// same port), answering with the reply shapes in tests/data/responses/ and mimicking the jsonrpsee
// HTTP server of polkadot-sdk. A control HTTP server steers every node (height, syncing, peers,
// latency, errors, hang, down, ...). See tests/harness/README.md for the full description.
//
// Built-ins only, plus the npm package `ws` (found through NODE_PATH) for WebSocket; without it the
// simulator runs HTTP-only and says so on stderr.
//
// Cheapness: one shared http.Server receives the connections of every node's net.Server; heights
// are computed from time (no per-node timers); one shared 100 ms timer pushes subscription
// notifications; reply fragments are built once at start-up.
'use strict';

const http = require('http');
const net = require('net');
const tls = require('tls');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { isUtf8 } = require('buffer');

const PROG = 'nodesim';
const NODE = Symbol('nodesim.node');

function log(msg) {
  try {
    process.stderr.write(`${PROG}: ${msg}\n`);
  } catch (_) {
    /* stderr gone: nothing to do */
  }
}

function die(msg) {
  log(msg);
  process.exit(2);
}

process.on('uncaughtException', (err) => log(`uncaught exception: ${(err && err.stack) || err}`));
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err && err.stack) || err}`));

let WebSocketServer = null;
try {
  WebSocketServer = require('ws').WebSocketServer;
} catch (_) {
  WebSocketServer = null;
}

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = `usage: node nodesim.js --listen ADDR --base-port P --nodes N [--chain NAME] [--control PORT]
                  [--height H] [--block-time-ms MS] [--config FILE] [--data DIR] [--methods FILE]
                  [--keepalive-timeout-ms MS] [--max-connections N|none]
                  [--tls-cert FILE --tls-key FILE]
`;

function parseArgs(argv) {
  const o = {
    listen: '127.0.0.1',
    basePort: null,
    nodes: null,
    chain: 'polkadot',
    control: null,
    height: 21037668,
    blockTimeMs: 6000,
    config: null,
    data: path.join(__dirname, '..', 'data', 'responses'),
    methods: null,
    keepaliveTimeoutMs: 0,
    maxConnections: 100, // polkadot-sdk's --rpc-max-connections default (RPC_DEFAULT_MAX_CONNECTIONS)
    tlsCert: null,
    tlsKey: null,
    tls: null, // {cert, key} PEM text when the nodes serve TLS
  };
  const intFlag = (name, v, min, max) => {
    if (!/^[0-9]+$/.test(v || '')) die(`${name}: expected a non-negative integer, got '${v}'`);
    const n = Number(v);
    if (n < min || n > max) die(`${name}: ${n} is out of range ${min}..${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => {
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) die(`${a}: missing value\n${USAGE}`);
      return argv[++i];
    };
    switch (a) {
      case '--listen': o.listen = val(); break;
      case '--base-port': o.basePort = intFlag(a, val(), 0, 65535); break;
      case '--nodes': o.nodes = intFlag(a, val(), 0, 60000); break;
      case '--chain': o.chain = val(); break;
      case '--control': o.control = intFlag(a, val(), 0, 65535); break;
      case '--height': o.height = intFlag(a, val(), 0, Number.MAX_SAFE_INTEGER); break;
      case '--block-time-ms': o.blockTimeMs = intFlag(a, val(), 0, 86400000); break;
      case '--config': o.config = val(); break;
      case '--data': o.data = val(); break;
      case '--methods': o.methods = val(); break;
      case '--keepalive-timeout-ms': o.keepaliveTimeoutMs = intFlag(a, val(), 0, 86400000); break;
      case '--max-connections': {
        const m = val();
        o.maxConnections = m === 'none' ? null : intFlag(a, m, 0, 4294967295);
        break;
      }
      case '--tls-cert': o.tlsCert = val(); break;
      case '--tls-key': o.tlsKey = val(); break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        die(`unknown argument '${argv[i]}'\n${USAGE}`);
    }
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(o.chain)) die(`--chain: bad chain name '${o.chain}'`);
  if ((o.tlsCert === null) !== (o.tlsKey === null)) die('--tls-cert and --tls-key go together');
  if (o.tlsCert !== null) {
    try {
      o.tls = { cert: fs.readFileSync(o.tlsCert), key: fs.readFileSync(o.tlsKey) };
    } catch (e) {
      die(`cannot read the TLS certificate or key: ${e.message}`);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Reference data, loaded once

function readJsonFile(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    die(`cannot read ${file}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    die(`bad JSON in ${file}: ${e.message}`);
  }
  return null;
}

function loadData(opts) {
  const dir = opts.data;
  const f = (name) => readJsonFile(path.join(dir, name));
  const D = {};
  const resultText = (name) => JSON.stringify(f(name).result);
  const errorText = (name) => JSON.stringify(f(name).error);
  D.constResults = {
    system_version: resultText('system_version.json'),
    system_name: resultText('system_name.json'),
    system_chain: resultText('system_chain.json'),
    system_chainType: resultText('system_chainType.json'),
    system_properties: resultText('system_properties.json'),
    state_getRuntimeVersion: resultText('state_getRuntimeVersion.json'),
    chain_getRuntimeVersion: resultText('state_getRuntimeVersion.json'),
    rpc_methods: resultText('rpc_methods.json'),
  };
  D.systemChainName = f('system_chain.json').result;
  D.runtimeVersion = D.constResults.state_getRuntimeVersion;
  D.errUnsafe = errorText('error-unsafe.json');
  D.errNotFound = errorText('error-method-not-found.json');
  D.errInvalidRequest = errorText('error-invalid-request.json');
  D.errTooManySubs = errorText('error-too-many-subscriptions.json');
  D.errInternal = JSON.stringify({ code: -32603, message: 'Internal error' });
  D.errInvalidTransaction = (() => {
    const e = f('error-invalid-transaction.json').error;
    return JSON.stringify({ code: e.code, message: e.message, data: e.data });
  })();
  // jsonrpsee refusing a batch: the whole body answered with one error, id null, HTTP 200.
  D.bodyBatchesNotSupported = JSON.stringify(f('error-batches-not-supported.json'));
  D.batchTooLarge = f('error-batch-too-large.json').error; // data names the limit
  D.invalidParams = f('error-invalid-params.json').error; // data: "No more params"
  D.keysPagedCount = f('error-keys-paged-count.json').error; // message names the count
  // Whole bodies (id null), written without the file's trailing newline.
  D.bodyParse = JSON.stringify(f('error-parse.json'));
  D.bodyInvalidRequest = JSON.stringify(f('error-invalid-request.json'));
  D.bodyTooBig = JSON.stringify(f('error-request-too-big.json'));
  const tooBig = /max limit of ([0-9]+)/.exec(f('error-request-too-big.json').error.data || '');
  D.maxBody = tooBig ? Number(tooBig[1]) : 15 * 1024 * 1024;
  const tooMany = /max limit of ([0-9]+)/.exec(f('error-too-many-subscriptions.json').error.data || '');
  D.maxSubs = tooMany ? Number(tooMany[1]) : 1024;
  try {
    D.tooManyConnections = fs.readFileSync(path.join(dir, 'http-429-too-many-connections.txt'), 'utf8');
  } catch (e) {
    die(`cannot read ${path.join(dir, 'http-429-too-many-connections.txt')}: ${e.message}`);
  }

  // Header template: real block 21037668. Keys in the file's order.
  const hdr = f('chain_getHeader.json').result;
  D.header = hdr;
  D.headerRest = JSON.stringify({ stateRoot: hdr.stateRoot, extrinsicsRoot: hdr.extrinsicsRoot, digest: hdr.digest }).slice(1);
  // Genuine Polkadot hashes: genesis, the header's block and its parent.
  D.realNumber = parseInt(hdr.number, 16);
  D.polkadotOverrides = new Map([
    [0, f('chain_getBlockHash-0.json').result],
    [D.realNumber, f('chain_getBlockHash.json').result],
    [D.realNumber - 1, hdr.parentHash],
  ]);
  D.polkadotOverrideByHash = new Map();
  for (const [n, h] of D.polkadotOverrides) D.polkadotOverrideByHash.set(h.toLowerCase(), n);

  // Method classes.
  let methodsFile = opts.methods;
  const candidates = methodsFile
    ? [methodsFile]
    : [path.join(__dirname, '..', '..', 'haproxy', 'methods.tsv'), path.join(dir, '..', 'methods.tsv')];
  let tsv = null;
  for (const c of candidates) {
    try {
      tsv = fs.readFileSync(c, 'utf8');
      methodsFile = c;
      break;
    } catch (_) {
      /* try the next */
    }
  }
  if (tsv === null) die(`cannot read methods.tsv (tried ${candidates.join(', ')}); use --methods FILE`);
  D.methodClass = new Map();
  for (const line of tsv.split('\n')) {
    const cols = line.split('\t');
    if (cols.length < 2 || cols[0] === 'method' || !cols[0]) continue;
    D.methodClass.set(cols[0], cols[1].trim());
  }
  if (D.methodClass.size === 0) die(`${methodsFile}: no methods`);

  // Subscriptions: subscribe name or alias -> {notification, kind}; unsubscribe name or alias.
  D.subscribe = new Map();
  D.unsubscribe = new Set();
  let subs = null;
  try {
    subs = fs.readFileSync(path.join(dir, '..', 'subscriptions.tsv'), 'utf8');
  } catch (_) {
    subs = null;
  }
  const addSub = (names, notification, unsubNames) => {
    for (const n of names) if (n) D.subscribe.set(n, notification);
    for (const n of unsubNames) if (n) D.unsubscribe.add(n);
  };
  if (subs) {
    for (const line of subs.split('\n')) {
      const c = line.split('\t');
      if (c.length < 3 || c[0] === 'subscribe' || !c[0]) continue;
      addSub([c[0], ...(c[3] || '').split(',')], c[1], [c[2], ...(c[4] || '').split(',')]);
    }
  }
  // The ones the simulator feeds, whatever the file says.
  addSub(['chain_subscribeNewHeads', 'chain_subscribeNewHead', 'subscribe_newHead'], 'chain_newHead',
    ['chain_unsubscribeNewHeads', 'chain_unsubscribeNewHead', 'unsubscribe_newHead']);
  addSub(['chain_subscribeFinalizedHeads', 'chain_subscribeFinalisedHeads'], 'chain_finalizedHead',
    ['chain_unsubscribeFinalizedHeads', 'chain_unsubscribeFinalisedHeads']);
  addSub(['chain_subscribeAllHeads'], 'chain_allHead', ['chain_unsubscribeAllHeads']);
  addSub(['state_subscribeRuntimeVersion', 'chain_subscribeRuntimeVersion'], 'state_runtimeVersion',
    ['state_unsubscribeRuntimeVersion', 'chain_unsubscribeRuntimeVersion']);
  return D;
}

// ---------------------------------------------------------------------------------------------
// Chains: deterministic block hashes and headers (shared by every node of a chain)

const U64_MASK = (1n << 64n) - 1n;

// A block hash as a node parses it (impl-serde H256: 64 hex digits of either case, "0x" optional),
// lower-cased with its "0x"; null when it is not one.
function normHash(v) {
  if (typeof v !== 'string' || !/^(0x)?[0-9a-fA-F]{64}$/.test(v)) return null;
  return (v.length === 64 ? '0x' + v : '0x' + v.slice(2)).toLowerCase();
}

class Chain {
  constructor(name, D) {
    this.name = name;
    this.D = D;
    // Display name for system_chain: the file's value for polkadot, else the name capitalised.
    this.systemChain = JSON.stringify(name === 'polkadot' ? D.systemChainName : name.charAt(0).toUpperCase() + name.slice(1));
    this.hashCache = new Map();
    this.headerCache = new Map();
  }

  // 32-byte hash of (chain, n): 24 bytes of sha256, then n as a u64 xor the first 8 of those
  // bytes, so that a hash can be mapped back to its number (and checked) without keeping history.
  hash(n) {
    let h = this.hashCache.get(n);
    if (h !== undefined) return h;
    if (this.name === 'polkadot' && this.D.polkadotOverrides.has(n)) {
      h = this.D.polkadotOverrides.get(n);
    } else {
      const head = crypto.createHash('sha256').update(`nodesim:${this.name}:${n}`).digest('hex').slice(0, 48);
      h = '0x' + head + ((BigInt(n) ^ BigInt('0x' + head.slice(0, 16))) & U64_MASK).toString(16).padStart(16, '0');
    }
    if (this.hashCache.size >= 4096) this.hashCache.clear();
    this.hashCache.set(n, h);
    return h;
  }

  // Block number of a hash this chain produced, or -1.
  numberOf(hash) {
    const lower = normHash(hash);
    if (lower === null) return -1;
    if (this.name === 'polkadot') {
      const n = this.D.polkadotOverrideByHash.get(lower);
      if (n !== undefined) return n;
    }
    const nb = (BigInt('0x' + lower.slice(50)) ^ BigInt('0x' + lower.slice(2, 18))) & U64_MASK;
    if (nb > BigInt(Number.MAX_SAFE_INTEGER)) return -1;
    const n = Number(nb);
    return this.hash(n) === lower ? n : -1;
  }

  // Header JSON text of block n (the real header for Polkadot's block 21037668).
  header(n) {
    let h = this.headerCache.get(n);
    if (h !== undefined) return h;
    const parent = n > 0 ? this.hash(n - 1) : '0x' + '0'.repeat(64);
    h = `{"parentHash":"${parent}","number":"0x${n.toString(16)}",${this.D.headerRest}`;
    if (this.headerCache.size >= 256) this.headerCache.clear();
    this.headerCache.set(n, h);
    return h;
  }
}

// Networks by name: a node answers with the hashes of its network, which is its chain unless the
// steer key `network` names another one (a node of another network posing as one of this chain).
const networks = new Map();

function networkOf(name) {
  let net = networks.get(name);
  if (!net) {
    net = new Chain(name, D);
    networks.set(name, net);
  }
  return net;
}

// ---------------------------------------------------------------------------------------------
// Node state and steering

const STEER_KEYS = [
  'height', 'block_time_ms', 'finalized_lag', 'syncing', 'peers', 'should_have_peers', 'latency_ms',
  'http_error', 'rpc_error', 'hang', 'down', 'stall', 'highest_block', 'starting_block', 'network',
  'batch', 'max_connections',
];

function isInt(v, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

// Validates and normalises a steer object; returns {values} or {error}.
function validateSteer(obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { error: 'expected a JSON object of steer keys' };
  const out = {};
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const bad = (what) => ({ error: `bad value for '${k}': ${what}` });
    switch (k) {
      case 'height':
      case 'finalized_lag':
      case 'peers':
        if (!isInt(v)) return bad('expected a non-negative integer');
        out[k] = v;
        break;
      case 'block_time_ms':
      case 'latency_ms':
        if (!isInt(v, 0, 86400000)) return bad('expected an integer 0..86400000');
        out[k] = v;
        break;
      case 'syncing':
      case 'should_have_peers':
      case 'hang':
      case 'down':
      case 'stall':
        if (typeof v !== 'boolean') return bad('expected true or false');
        out[k] = v;
        break;
      case 'http_error':
        if (v === null || v === false || v === 0) out[k] = 0;
        else if (isInt(v, 200, 599)) out[k] = v;
        else return bad('expected an HTTP status 200..599, or 0/null/false to clear');
        break;
      case 'rpc_error':
        if (v === null || v === false) out[k] = null;
        else if (v && typeof v === 'object' && !Array.isArray(v) && isInt(v.code, -2147483648, 2147483647) && typeof v.message === 'string') {
          const e = { code: v.code, message: v.message };
          if (v.data !== undefined) e.data = v.data;
          out[k] = e;
        } else return bad('expected {"code":INT,"message":STRING[,"data":...]}, or null/false to clear');
        break;
      case 'highest_block':
      case 'starting_block':
        if (v === null) out[k] = null;
        else if (isInt(v)) out[k] = v;
        else return bad('expected a non-negative integer or null (automatic)');
        break;
      case 'network':
        if (v === null || (typeof v === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v))) out[k] = v;
        else return bad("expected a network name of [A-Za-z0-9_.-], or null for the node's chain");
        break;
      case 'batch':
        if (typeof v === 'boolean' || isInt(v, 0, 4294967295)) out[k] = v;
        else return bad('expected true (batches served), false (refused) or the largest batch 0..4294967295');
        break;
      case 'max_connections':
        if (v === null || isInt(v, 0, 4294967295)) out[k] = v;
        else return bad('expected an integer 0..4294967295, or null for no limit');
        break;
      default:
        return { error: `unknown steer key '${k}' (known: ${STEER_KEYS.join(', ')})` };
    }
  }
  return { values: out };
}

function defaultState(opts) {
  return {
    height: opts.height,
    block_time_ms: opts.blockTimeMs,
    finalized_lag: 2,
    syncing: false,
    peers: 25,
    should_have_peers: true,
    latency_ms: 0,
    http_error: 0,
    rpc_error: null,
    hang: false,
    down: false,
    stall: false,
    highest_block: null,
    starting_block: null,
    network: null,
    batch: true,
    max_connections: opts.maxConnections,
  };
}

function newCounters() {
  return {
    requests: 0, methods: Object.create(null), methodKeys: 0, last_method: null, http_requests: 0, ws_messages: 0,
    batches: 0, too_many_connections: 0,
  };
}

const MAX_METHOD_KEYS = 512;

class SimNode {
  constructor(name, chain, port, state, startTime) {
    this.name = name;
    this.chain = chain;
    this.port = port; // requested port; the bound one after listen
    this.s = state;
    this.net = state.network === null ? chain : networkOf(state.network); // hashes come from here
    this.initial = Object.assign({}, state);
    this.baseHeight = state.height;
    this.baseTime = startTime;
    this.c = newCounters();
    this.server = null;
    this.listening = false;
    this.sockets = new Set();
    this.wsConns = new Set();
    this.subCount = 0;
    this.rpcErrorText = null;
    this.nameHeader = name;
    this.permits = 0; // connection permits in use (takePermit)
  }

  height(now) {
    const s = this.s;
    if (s.stall || s.block_time_ms <= 0) return this.baseHeight;
    return this.baseHeight + Math.floor((now - this.baseTime) / s.block_time_ms);
  }

  finalized(now) {
    return Math.max(0, this.height(now) - this.s.finalized_lag);
  }

  highest(now) {
    const s = this.s;
    if (s.highest_block !== null) return s.highest_block;
    const h = this.height(now);
    return s.syncing ? h + 1000 : h;
  }

  starting() {
    const s = this.s;
    return s.starting_block !== null ? s.starting_block : Math.max(0, this.initial.height - 5000);
  }

  // Folds elapsed whole blocks into the base, keeping the phase of the block timer.
  rebase(now) {
    const s = this.s;
    if (s.stall || s.block_time_ms <= 0) {
      this.baseTime = now;
      return;
    }
    const k = Math.floor((now - this.baseTime) / s.block_time_ms);
    if (k > 0) {
      this.baseHeight += k;
      this.baseTime += k * s.block_time_ms;
    }
  }

  count(method) {
    const c = this.c;
    c.requests++;
    let key = typeof method === 'string' && method.length <= 128 ? method : '(other)';
    if (c.methods[key] === undefined) {
      if (c.methodKeys >= MAX_METHOD_KEYS) key = '(other)';
      if (c.methods[key] === undefined) {
        c.methods[key] = 0;
        c.methodKeys++;
      }
    }
    c.methods[key]++;
    c.last_method = key;
  }

  view(now) {
    const s = this.s;
    return {
      name: this.name,
      chain: this.chain.name,
      network: this.net.name,
      port: this.port,
      tls: opts.tls !== null,
      height: this.height(now),
      finalized: this.finalized(now),
      block_time_ms: s.block_time_ms,
      finalized_lag: s.finalized_lag,
      syncing: s.syncing,
      peers: s.peers,
      should_have_peers: s.should_have_peers,
      latency_ms: s.latency_ms,
      http_error: s.http_error,
      rpc_error: s.rpc_error,
      hang: s.hang,
      down: s.down,
      stall: s.stall,
      highest_block: this.highest(now),
      starting_block: this.starting(),
      batch: s.batch,
      max_connections: s.max_connections,
      requests: this.c.requests,
      methods: this.c.methods,
      last_method: this.c.last_method,
      http_requests: this.c.http_requests,
      ws_messages: this.c.ws_messages,
      connections: this.sockets.size,
      ws_connections: this.wsConns.size,
      subscriptions: this.subCount,
      batches: this.c.batches,
      too_many_connections: this.c.too_many_connections,
      permits: this.permits,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC parsing: JSON.parse for the values, plus a light scan of the (already valid) text for
// each request's raw id and for duplicated top-level members.

function skipWs(t, i) {
  for (;;) {
    const c = t.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else return i;
  }
}

function skipString(t, i) {
  // t[i] === '"'
  let j = i + 1;
  for (;;) {
    const q = t.indexOf('"', j);
    if (q < 0) return t.length;
    let b = q - 1;
    let n = 0;
    while (t.charCodeAt(b) === 92) {
      n++;
      b--;
    }
    if ((n & 1) === 0) return q + 1;
    j = q + 1;
  }
}

function skipValue(t, i) {
  const c = t.charCodeAt(i);
  if (c === 34) return skipString(t, i);
  if (c === 123 || c === 91) {
    let d = 0;
    while (i < t.length) {
      const ch = t.charCodeAt(i);
      if (ch === 34) {
        i = skipString(t, i);
        continue;
      }
      if (ch === 123 || ch === 91) d++;
      else if (ch === 125 || ch === 93) {
        d--;
        if (d === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < t.length) {
    const ch = t.charCodeAt(i);
    if (ch === 44 || ch === 125 || ch === 93 || ch === 32 || ch === 9 || ch === 10 || ch === 13) break;
    i++;
  }
  return i;
}

const MEMBER_BIT = { jsonrpc: 1, method: 2, params: 4, id: 8 };

// Scans the object at t[i] === '{'. Returns {end, rawId (undefined if absent), dup}.
function scanObject(t, i) {
  let rawId;
  let dup = false;
  let seen = 0;
  i = skipWs(t, i + 1);
  if (t.charCodeAt(i) === 125) return { end: i + 1, rawId, dup };
  for (;;) {
    const ks = i;
    i = skipString(t, i);
    let key = t.slice(ks + 1, i - 1);
    if (key.indexOf('\\') >= 0) {
      try {
        key = JSON.parse(t.slice(ks, i));
      } catch (_) {
        /* cannot happen on valid JSON */
      }
    }
    i = skipWs(t, i);
    i = skipWs(t, i + 1); // ':'
    const vs = i;
    i = skipValue(t, i);
    const bit = MEMBER_BIT[key];
    if (bit !== undefined) {
      if (seen & bit) dup = true;
      seen |= bit;
      if (bit === 8) rawId = t.slice(vs, i);
    }
    i = skipWs(t, i);
    if (t.charCodeAt(i) === 44) {
      i = skipWs(t, i + 1);
      continue;
    }
    return { end: i + 1, rawId, dup };
  }
}

const U64_MAX_STR = '18446744073709551615';

// jsonrpsee accepts u64, string or null ids.
function idValid(raw) {
  const c = raw.charCodeAt(0);
  if (c === 34) return true;
  if (raw === 'null') return true;
  if (!/^(0|[1-9][0-9]*)$/.test(raw)) return false;
  return raw.length < 20 || (raw.length === 20 && raw <= U64_MAX_STR);
}

// Parses a body. Returns {parseError:true} | {emptyBatch:true} | {batch:bool, items:[{req, rawId, dup}]}
function parseBody(text) {
  const first = skipWs(text, 0);
  const c0 = text.charCodeAt(first);
  if (c0 !== 123 && c0 !== 91) return { parseError: true };
  let v;
  try {
    v = JSON.parse(text);
  } catch (_) {
    return { parseError: true };
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return { emptyBatch: true };
    const items = new Array(v.length);
    let i = skipWs(text, first + 1);
    for (let k = 0; k < v.length; k++) {
      const el = v[k];
      if (el !== null && typeof el === 'object' && !Array.isArray(el)) {
        const r = scanObject(text, i);
        items[k] = { req: el, rawId: r.rawId, dup: r.dup };
        i = r.end;
      } else {
        items[k] = { req: el, rawId: undefined, dup: false };
        i = skipValue(text, i);
      }
      i = skipWs(text, i);
      i = skipWs(text, i + 1); // ',' or ']'
    }
    return { batch: true, items };
  }
  const r = scanObject(text, first);
  return { batch: false, items: [{ req: v, rawId: r.rawId, dup: r.dup }] };
}

// ---------------------------------------------------------------------------------------------
// Method dispatch

let D = null; // reference data
const nodesByName = new Map();
const nodes = [];
const subscribedNodes = new Set();

function reply(rawId, key, text) {
  return `{"jsonrpc":"2.0","id":${rawId},"${key}":${text}}`;
}

function randomSubId() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const b = crypto.randomBytes(16);
  let s = '';
  for (let i = 0; i < 16; i++) s += alphabet[b[i] % 62];
  return s;
}

function parseBlockNumber(p) {
  if (typeof p === 'number' && Number.isInteger(p) && p >= 0) return p;
  if (typeof p === 'string' && /^0x[0-9a-fA-F]{1,13}$/.test(p)) return parseInt(p.slice(2), 16);
  if (typeof p === 'string' && /^[0-9]{1,15}$/.test(p)) return Number(p);
  return -2;
}

// Positional parameters as jsonrpsee's ParamsSequence reads them: absent, null and [] are no
// parameters; an object's values are taken in order (jsonrpsee matches them by name: not simulated).
function paramList(params) {
  if (Array.isArray(params)) return params;
  if (params === undefined || params === null) return [];
  return Object.values(params);
}

// -32602 Invalid params. A required parameter that is missing gets jsonrpsee's own data text
// ("No more params"); for a value of the wrong type a node puts serde's message in data, which
// the simulator does not copy: its data says what is wrong in its own words.
function invalidParams(data) {
  return JSON.stringify({ code: D.invalidParams.code, message: D.invalidParams.message, data });
}

// Storage keys and extrinsics are hex bytes (impl-serde: "0x" optional, any case, odd length
// allowed). Returns "0x" + even lower-case hex, or null.
function normBytes(v) {
  if (typeof v !== 'string' || !/^(0x)?[0-9a-fA-F]*$/.test(v)) return null;
  let h = (v.startsWith('0x') ? v.slice(2) : v).toLowerCase();
  if (h.length % 2) h = '0' + h;
  return '0x' + h;
}

// Reads parameter <i> of <list>: required ones must be there, optional ones may be absent or
// null. <parse> returns the value or undefined when the type is wrong. Returns {v} or {err}.
function param(list, i, required, what, parse) {
  const raw = list[i];
  if (raw === undefined || (raw === null && !required)) {
    return required ? { err: invalidParams(D.invalidParams.data) } : { v: null };
  }
  const v = parse(raw);
  return v === undefined ? { err: invalidParams(`invalid value for ${what}: ${JSON.stringify(raw)}`) } : { v };
}

const asHash = (x) => normHash(x) ?? undefined;
const asBytes = (x) => normBytes(x) ?? undefined;
const asU32 = (x) => (isInt(x, 0, 4294967295) ? x : undefined);

const KEYS_PER_PREFIX = 1000; // the simulated state: see state_getKeysPaged below
const KEYS_PAGED_MAX = 1000; // STORAGE_KEYS_PAGED_MAX_COUNT in sc-rpc's state module

// state_getKeysPaged(prefix?, count, start_key?, at?): the simulated state holds, under any
// prefix P, the 1,000 keys P + a 32-byte big-endian counter 0..999, and no values (state_getStorage
// is null for every key). Keys come in byte order, after <start_key>, at most <count>.
function keysPaged(list) {
  const prefix = param(list, 0, false, 'prefix', asBytes);
  if (prefix.err) return ['error', prefix.err];
  const count = param(list, 1, true, 'count', asU32);
  if (count.err) return ['error', count.err];
  const start = param(list, 2, false, 'start_key', asBytes);
  if (start.err) return ['error', start.err];
  const at = param(list, 3, false, 'hash', asHash);
  if (at.err) return ['error', at.err];
  if (count.v > KEYS_PAGED_MAX) {
    const e = D.keysPagedCount;
    return ['error', JSON.stringify({ code: e.code, message: e.message.replace(/value: [0-9]+/, `value: ${count.v}`) })];
  }
  const p = prefix.v || '0x';
  const key = (n) => `${p}${n.toString(16).padStart(64, '0')}`;
  // First key above <start_key> (lower-case hex of whole bytes compares as the bytes do).
  let from = 0;
  if (start.v !== null) {
    let hi = KEYS_PER_PREFIX;
    while (from < hi) {
      const mid = (from + hi) >> 1;
      if (key(mid) > start.v) hi = mid;
      else from = mid + 1;
    }
  }
  const keys = [];
  for (let n = from; n < KEYS_PER_PREFIX && keys.length < count.v; n++) keys.push(`"${key(n)}"`);
  return ['result', `[${keys.join(',')}]`];
}

// Returns ['result'|'error', text] or ['result', text, after] where after() runs once the reply
// was written (WS: initial notifications). ws is the connection state for WebSocket, else null.
function dispatch(node, method, params, ws, now) {
  const s = node.s;
  if (s.rpc_error !== null) return ['error', node.rpcErrorText];
  const cls = D.methodClass.get(method);
  if (cls === undefined) return ['error', D.errNotFound];
  if (cls === 'unsafe') return ['error', D.errUnsafe];
  const chain = node.net;
  const list = paramList(params);
  const p0 = list[0];
  switch (method) {
    case 'system_health':
      return ['result', `{"peers":${s.peers},"isSyncing":${s.syncing},"shouldHavePeers":${s.should_have_peers}}`];
    case 'chain_getHeader': {
      // Option<Hash>: none is the best block; a hash this node does not have is null.
      const h = param(list, 0, false, 'hash', asHash);
      if (h.err) return ['error', h.err];
      const best = node.height(now);
      if (h.v === null) return ['result', chain.header(best)];
      const k = chain.numberOf(h.v);
      return ['result', k >= 0 && k <= best ? chain.header(k) : 'null'];
    }
    case 'chain_getBlockHash':
    case 'chain_getHead': {
      const best = node.height(now);
      const one = (x) => {
        if (x === undefined || x === null) return `"${chain.hash(best)}"`;
        const n = parseBlockNumber(x);
        if (n === -2) return null;
        return n <= best ? `"${chain.hash(n)}"` : 'null';
      };
      if (Array.isArray(p0)) {
        const parts = [];
        for (const x of p0) {
          const r = one(x);
          if (r === null) return ['error', invalidParams(`invalid block number: ${JSON.stringify(x)}`)];
          parts.push(r);
        }
        return ['result', `[${parts.join(',')}]`];
      }
      const r = one(p0);
      return r === null ? ['error', invalidParams(`invalid block number: ${JSON.stringify(p0)}`)] : ['result', r];
    }
    case 'chain_getFinalizedHead':
    case 'chain_getFinalisedHead':
      return ['result', `"${chain.hash(node.finalized(now))}"`];
    case 'system_syncState':
      return ['result', `{"startingBlock":${node.starting()},"currentBlock":${node.height(now)},"highestBlock":${node.highest(now)}}`];
    case 'system_chain':
      return ['result', chain.systemChain];
    case 'state_getStorage':
    case 'state_getStorageAt': {
      const key = param(list, 0, true, 'key', asBytes);
      if (key.err) return ['error', key.err];
      const at = param(list, 1, false, 'hash', asHash);
      return at.err ? ['error', at.err] : ['result', 'null']; // no values are simulated
    }
    case 'state_getKeysPaged':
    case 'state_getKeysPagedAt':
      return keysPaged(list);
    case 'author_submitExtrinsic': {
      const x = param(list, 0, true, 'extrinsic', asBytes);
      // No transaction pool: every extrinsic is refused as the captured bad signature.
      return ['error', x.err || D.errInvalidTransaction];
    }
    default:
      break;
  }
  const cr = D.constResults[method];
  if (cr !== undefined) return ['result', cr];
  const notification = D.subscribe.get(method);
  if (notification !== undefined) {
    if (!ws) return ['error', D.errInternal]; // jsonrpsee over HTTP: subscriptions not supported
    if (ws.subs.size >= D.maxSubs) return ['error', D.errTooManySubs];
    const id = randomSubId();
    const sub = { id, notification, last: -1 };
    ws.subs.set(id, sub);
    node.subCount++;
    subscribedNodes.add(node);
    return ['result', `"${id}"`, () => sendInitial(node, ws, sub)];
  }
  if (D.unsubscribe.has(method)) {
    if (!ws) return ['error', D.errInternal];
    const sub = typeof p0 === 'string' ? ws.subs.get(p0) : undefined;
    if (!sub) return ['result', 'false'];
    ws.subs.delete(p0);
    node.subCount--;
    if (node.subCount <= 0) subscribedNodes.delete(node);
    return ['result', 'true'];
  }
  // A method the node serves but the simulator has no model of: a loud error, never a made-up
  // result (a test that reads the answer must not take a guess for a node's reply).
  return ['error', JSON.stringify({ code: -32603, message: 'Internal error', data: `nodesim: no model for ${method}` })];
}

// jsonrpsee reads the first chunk of an HTTP body and looks for '{' or '[' among its first 128
// bytes (http_helpers::read_body); anything else, or an empty body, is HTTP 400 Parse error.
// Returns the index of that byte, or -1.
function firstJsonByte(text) {
  const lim = Math.min(text.length, 128);
  for (let i = 0; i < lim; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 || c === 91) return i;
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) return -1;
  }
  return -1;
}

// Handles a body. Returns {kind, text}: kind 'malformed' (HTTP 400), 'empty' (no answer: all
// notifications), 'json' (HTTP 200, a parse error included). after: callbacks to run after the
// reply was written. dry: only count the calls (the answer will not be sent: hang, http_error).
function handleBody(node, buf, ws, after, dry) {
  const utf8 = isUtf8(buf);
  const text = utf8 ? buf.toString('utf8') : buf.subarray(0, 128).toString('latin1');
  const first = firstJsonByte(text);
  if (first < 0) return { kind: ws ? 'json' : 'malformed', text: D.bodyParse };
  if (text.charCodeAt(first) === 91) {
    node.c.batches++;
    // BatchRequestConfig::Disabled refuses before parsing: even "[]" and "[garbage".
    if (node.s.batch === false) return { kind: 'json', text: D.bodyBatchesNotSupported };
  }
  if (!utf8) return { kind: 'json', text: D.bodyParse }; // serde refuses it
  const parsed = parseBody(text);
  if (parsed.parseError) return { kind: 'json', text: D.bodyParse };
  if (parsed.batch && typeof node.s.batch === 'number' && parsed.items.length > node.s.batch) {
    const e = D.batchTooLarge;
    const err = JSON.stringify({ code: e.code, message: e.message, data: `Exceeded max limit of ${node.s.batch}` });
    return { kind: 'json', text: reply('null', 'error', err) };
  }
  if (parsed.emptyBatch) return { kind: 'json', text: D.bodyInvalidRequest };
  const now = Date.now();
  const out = [];
  for (const it of parsed.items) {
    const r = it.req;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      node.count('(invalid)');
      out.push(reply('null', 'error', D.errInvalidRequest));
      continue;
    }
    const hasId = it.rawId !== undefined;
    const idOk = hasId && idValid(it.rawId);
    const method = r.method;
    node.count(typeof method === 'string' ? method : '(invalid)');
    const p = r.params;
    const paramsOk = p === undefined || p === null || typeof p === 'object';
    if (it.dup || r.jsonrpc !== '2.0' || typeof method !== 'string' || !paramsOk || (hasId && !idOk)) {
      out.push(reply(idOk && !it.dup ? it.rawId : 'null', 'error', D.errInvalidRequest));
      continue;
    }
    if (!hasId || dry) continue; // notification: no answer (and no effect)
    const res = dispatch(node, method, p, ws, now);
    out.push(reply(it.rawId, res[0], res[1]));
    if (res[2]) after.push(res[2]);
  }
  if (out.length === 0) return { kind: 'empty', text: '' };
  return { kind: 'json', text: parsed.batch ? `[${out.join(',')}]` : out[0] };
}

// ---------------------------------------------------------------------------------------------
// HTTP

const CT_JSON = 'application/json; charset=utf-8';
const CT_TEXT = 'text/plain; charset=utf-8'; // the simulator's own text answers (http_error, 501)
const CT_PLAIN = 'text/plain'; // jsonrpsee's text answers (405, 415, 429)
const TEXT_405 = 'Used HTTP Method is not allowed. POST is required\n';
const TEXT_415 = 'Supplied content type is not allowed. Content-Type: application/json is required\n';

// jsonrpsee's is_json(): the whole header value, compared without regard to case.
const JSON_CONTENT_TYPES = new Set([
  'application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8',
  'application/json-rpc', 'application/json-rpc;charset=utf-8', 'application/json-rpc; charset=utf-8',
]);

function isJsonContentType(ct) {
  return typeof ct === 'string' && JSON_CONTENT_TYPES.has(ct.toLowerCase());
}

// jsonrpsee's connection limit (ConnectionGuard, `--rpc-max-connections`): one permit for each
// HTTP request being answered and for each open WebSocket connection; a request that finds none
// free gets 429. Returns the release function (idempotent), or null when none is free. A proxy in
// front (http_error) answers before the node and takes none.
function takePermit(node) {
  const max = node.s.max_connections;
  if (max !== null && node.permits >= max) {
    node.c.too_many_connections++;
    return null;
  }
  node.permits++;
  let held = true;
  return () => {
    if (held) {
      held = false;
      node.permits--;
    }
  };
}

function writeRes(res, node, status, ctype, body) {
  if (res.destroyed || res.writableEnded) return;
  try {
    const headers = { 'X-Node': node.nameHeader, 'Content-Length': Buffer.byteLength(body) };
    if (ctype) headers['Content-Type'] = ctype;
    res.writeHead(status, headers);
    res.end(body);
  } catch (e) {
    log(`write failed on ${node.name}: ${e.message}`);
  }
}

function sendRes(res, node, status, ctype, body) {
  const ms = node.s.latency_ms;
  if (ms > 0) setTimeout(writeRes, ms, res, node, status, ctype, body);
  else writeRes(res, node, status, ctype, body);
}

function httpErrorBody(code) {
  return `${code} ${http.STATUS_CODES[code] || 'Error'}\n`;
}

function onHttpRequest(req, res) {
  const node = req.socket[NODE];
  if (!node) {
    res.destroy();
    return;
  }
  node.c.http_requests++;
  req.on('error', () => {});
  res.on('error', () => {});
  if (!node.s.http_error) {
    const release = takePermit(node);
    if (!release) {
      req.resume();
      return writeRes(res, node, 429, CT_PLAIN, D.tooManyConnections);
    }
    res.on('finish', release);
    res.on('close', release);
  }
  if (req.method !== 'POST') {
    req.resume();
    const s = node.s;
    if (s.hang) return;
    if (s.http_error) return sendRes(res, node, s.http_error, CT_TEXT, httpErrorBody(s.http_error));
    const url = req.url.split('?')[0];
    if (req.method === 'GET' && url === '/health') {
      return sendRes(res, node, 200, CT_JSON, `{"peers":${s.peers},"isSyncing":${s.syncing},"shouldHavePeers":${s.should_have_peers}}`);
    }
    if (req.method === 'GET' && url === '/health/readiness') {
      return sendRes(res, node, !s.syncing && s.peers > 0 ? 200 : 500, null, '');
    }
    return sendRes(res, node, 405, CT_PLAIN, TEXT_405);
  }
  const jsonCt = isJsonContentType(req.headers['content-type']);
  const chunks = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (chunk) => {
    if (tooBig) return;
    size += chunk.length;
    if (size > D.maxBody) {
      tooBig = true;
      chunks.length = 0;
      return;
    }
    if (jsonCt) chunks.push(chunk);
  });
  req.on('end', () => {
    const s = node.s;
    let result = null;
    const after = [];
    if (jsonCt && !tooBig) {
      const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const dry = s.hang || s.http_error !== 0;
      result = handleBody(node, buf, null, after, dry);
    }
    if (s.hang) return;
    if (s.http_error) return sendRes(res, node, s.http_error, CT_TEXT, httpErrorBody(s.http_error));
    if (!jsonCt) return sendRes(res, node, 415, CT_PLAIN, TEXT_415);
    if (tooBig) {
      res.shouldKeepAlive = false;
      return sendRes(res, node, 413, CT_JSON, D.bodyTooBig);
    }
    if (result.kind === 'malformed') return sendRes(res, node, 400, CT_JSON, result.text);
    if (result.kind === 'empty') return sendRes(res, node, 200, CT_JSON, '');
    sendRes(res, node, 200, CT_JSON, result.text);
  });
}

// ---------------------------------------------------------------------------------------------
// WebSocket

let wss = null;

function wsSend(ws, text) {
  const sock = ws.sock;
  if (sock.readyState !== 1) return;
  if (sock.bufferedAmount > 8 * 1024 * 1024) {
    log(`${ws.node.name}: WebSocket client too slow (${sock.bufferedAmount} bytes queued), closing`);
    sock.terminate();
    return;
  }
  sock.send(text);
}

function notifyText(sub, resultText) {
  return `{"jsonrpc":"2.0","method":"${sub.notification}","params":{"subscription":"${sub.id}","result":${resultText}}}`;
}

function pushSub(node, ws, sub, now) {
  let n;
  if (sub.notification === 'chain_newHead' || sub.notification === 'chain_allHead') n = node.height(now);
  else if (sub.notification === 'chain_finalizedHead') n = node.finalized(now);
  else return;
  if (n === sub.last) return;
  sub.last = n;
  wsSend(ws, notifyText(sub, node.net.header(n)));
}

// A new subscription first gets the current head (substrate sends it right away); a runtime
// version subscription gets the runtime version once.
function sendInitial(node, ws, sub) {
  if (!ws.subs.has(sub.id)) return;
  if (sub.notification === 'state_runtimeVersion') {
    wsSend(ws, notifyText(sub, D.runtimeVersion));
    return;
  }
  pushSub(node, ws, sub, Date.now());
}

function tickSubscriptions() {
  if (subscribedNodes.size === 0) return;
  const now = Date.now();
  for (const node of subscribedNodes) {
    if (node.s.hang) continue;
    for (const ws of node.wsConns) {
      if (ws.subs.size === 0) continue;
      for (const sub of ws.subs.values()) pushSub(node, ws, sub, now);
    }
  }
}

function onWsMessage(ws, data) {
  const node = ws.node;
  node.c.ws_messages++;
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  const after = [];
  const hang = node.s.hang; // the calls are read and counted, never answered
  const result = handleBody(node, buf, ws, after, hang);
  if (hang) return;
  if (result.kind === 'empty') return;
  const go = () => {
    wsSend(ws, result.text);
    for (const f of after) f();
  };
  const ms = node.s.latency_ms;
  if (ms > 0) setTimeout(go, ms);
  else go();
}

function onWsConnection(sock, node) {
  const ws = { sock, node, subs: new Map() };
  node.wsConns.add(ws);
  sock.on('message', (data) => {
    try {
      onWsMessage(ws, data);
    } catch (e) {
      log(`${node.name}: WebSocket message failed: ${(e && e.stack) || e}`);
    }
  });
  sock.on('error', () => {});
  sock.on('close', () => {
    node.wsConns.delete(ws);
    node.subCount -= ws.subs.size;
    ws.subs.clear();
    if (node.subCount <= 0) {
      node.subCount = 0;
      subscribedNodes.delete(node);
    }
  });
}

function rawHttpReply(socket, node, status, ctype, body) {
  if (socket.destroyed) return;
  const head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Error'}\r\nX-Node: ${node.nameHeader}\r\n` +
    (ctype ? `Content-Type: ${ctype}\r\n` : '') + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + body);
}

function onUpgrade(req, socket, head) {
  const node = socket[NODE];
  socket.on('error', () => {});
  if (!node) {
    socket.destroy();
    return;
  }
  node.c.http_requests++;
  const s = node.s;
  if (!s.http_error) {
    const release = takePermit(node);
    if (!release) return rawHttpReply(socket, node, 429, CT_PLAIN, D.tooManyConnections);
    socket.once('close', release); // held for the WebSocket connection's life
  }
  if (s.hang) return;
  const go = () => {
    if (socket.destroyed) return;
    if (node.s.http_error) return rawHttpReply(socket, node, node.s.http_error, CT_TEXT, httpErrorBody(node.s.http_error));
    if (!wss) return rawHttpReply(socket, node, 501, CT_TEXT, 'WebSocket not available in this simulator (npm ws missing)\n');
    try {
      wss.handleUpgrade(req, socket, head, (sock) => onWsConnection(sock, node));
    } catch (e) {
      log(`${node.name}: upgrade failed: ${e.message}`);
      socket.destroy();
    }
  };
  if (s.latency_ms > 0) setTimeout(go, s.latency_ms);
  else go();
}

// ---------------------------------------------------------------------------------------------
// Listening sockets

let httpServer = null;
let opts = null;

function listenNode(node) {
  return new Promise((resolve, reject) => {
    const onSocket = (socket) => {
      socket[NODE] = node;
      node.sockets.add(socket);
      socket.on('close', () => node.sockets.delete(socket));
      httpServer.emit('connection', socket);
    };
    // With --tls-cert every node serves HTTPS and WSS on its port: the same HTTP handling on the
    // decrypted socket. A client that refuses the certificate is its own business, not an error.
    const srv = opts.tls
      ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, noDelay: true, ALPNProtocols: ['http/1.1'] }, onSocket)
      : net.createServer({ noDelay: true }, onSocket);
    if (opts.tls) srv.on('tlsClientError', () => {});
    srv.on('error', (e) => {
      if (!node.listening) reject(e);
      else log(`${node.name}: listener error: ${e.message}`);
    });
    srv.listen({ host: opts.listen, port: node.port, backlog: 1024 }, () => {
      node.server = srv;
      node.listening = true;
      node.port = srv.address().port;
      resolve();
    });
  });
}

function closeNode(node) {
  return new Promise((resolve) => {
    const srv = node.server;
    node.listening = false;
    node.server = null;
    for (const ws of node.wsConns) {
      try {
        ws.sock.terminate();
      } catch (_) {
        /* already gone */
      }
    }
    for (const sock of node.sockets) sock.destroy();
    if (!srv) return resolve();
    srv.close(() => resolve());
  });
}

function dropConnections(node) {
  for (const ws of node.wsConns) {
    try {
      ws.sock.terminate();
    } catch (_) {
      /* already gone */
    }
  }
  for (const sock of node.sockets) sock.destroy();
}

// Applies validated steer values to a node. Returns a promise (down/up need the socket).
async function applySteer(node, v, now) {
  const s = node.s;
  node.rebase(now);
  const wasAdvancing = !s.stall && s.block_time_ms > 0;
  const curHeight = node.baseHeight;
  for (const k of Object.keys(v)) if (k !== 'down' && k !== 'height') s[k] = v[k];
  const advancing = !s.stall && s.block_time_ms > 0;
  if (v.height !== undefined) {
    s.height = v.height;
    node.baseHeight = v.height;
    node.baseTime = now;
  } else {
    node.baseHeight = curHeight;
    if (!wasAdvancing || !advancing || v.block_time_ms !== undefined) node.baseTime = now;
  }
  node.rpcErrorText = s.rpc_error ? JSON.stringify(s.rpc_error) : null;
  node.net = s.network === null ? node.chain : networkOf(s.network);
  if (v.down !== undefined && v.down !== s.down) {
    s.down = v.down;
    if (v.down) await closeNode(node);
    else {
      try {
        await listenNode(node);
      } catch (e) {
        s.down = true;
        throw new Error(`${node.name}: cannot listen again on port ${node.port}: ${e.message}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Control API

function ctlSend(res, status, obj) {
  const body = JSON.stringify(obj) + '\n';
  res.writeHead(status, { 'Content-Type': CT_JSON, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readJsonBody(req, cb) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= 1024 * 1024) chunks.push(c);
  });
  req.on('end', () => {
    if (size > 1024 * 1024) return cb(new Error('body too large'));
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (text === '') return cb(null, {});
    try {
      cb(null, JSON.parse(text));
    } catch (e) {
      cb(new Error(`bad JSON: ${e.message}`));
    }
  });
  req.on('error', (e) => cb(e));
}

function resetState(node, now) {
  const init = Object.assign({}, node.initial);
  const v = {};
  for (const k of STEER_KEYS) v[k] = init[k];
  // Height goes back to where a never-steered node would be now.
  const bt = init.block_time_ms;
  const elapsed = bt > 0 && !init.stall ? Math.floor((now - startTime) / bt) : 0;
  v.height = init.height + elapsed;
  return applySteer(node, v, now).then(() => {
    if (bt > 0) node.baseTime = startTime + elapsed * bt;
  });
}

let startTime = Date.now();

function onControl(req, res) {
  res.on('error', () => {});
  req.on('error', () => {});
  const url = req.url.split('?')[0];
  const parts = url.split('/').filter((x) => x !== '').map((x) => {
    try {
      return decodeURIComponent(x);
    } catch (_) {
      return x;
    }
  });
  const now = Date.now();
  const fail = (status, msg) => ctlSend(res, status, { error: msg });
  if (req.method === 'GET') {
    req.resume();
    if (parts.length === 0 || (parts.length === 1 && parts[0] === 'health')) {
      return ctlSend(res, 200, { ok: true, nodes: nodes.length, websocket: !!wss });
    }
    if (parts[0] === 'nodes' && parts.length === 1) return ctlSend(res, 200, nodes.map((n) => n.view(now)));
    if (parts[0] === 'nodes' && parts.length === 2) {
      const node = nodesByName.get(parts[1]);
      if (!node) return fail(404, `no node named '${parts[1]}'`);
      return ctlSend(res, 200, node.view(now));
    }
    return fail(404, `unknown path ${url}`);
  }
  if (req.method !== 'POST') {
    req.resume();
    return fail(405, 'use GET or POST');
  }
  let targets = null;
  let action = null;
  if (parts[0] === 'all' && parts.length <= 2) {
    targets = nodes;
    action = parts[1] || 'steer';
  } else if (parts[0] === 'nodes' && (parts.length === 2 || parts.length === 3)) {
    const node = nodesByName.get(parts[1]);
    if (!node) {
      req.resume();
      return fail(404, `no node named '${parts[1]}'`);
    }
    targets = [node];
    action = parts[2] || 'steer';
  } else {
    req.resume();
    return fail(404, `unknown path ${url}`);
  }
  const one = targets.length === 1 && parts[0] === 'nodes';
  const answer = () => (one ? ctlSend(res, 200, targets[0].view(Date.now())) : ctlSend(res, 200, { ok: true, nodes: targets.length }));
  readJsonBody(req, (err, body) => {
    if (err) return fail(400, err.message);
    if (action === 'reset-counters') {
      for (const n of targets) n.c = newCounters();
      return answer();
    }
    if (action === 'drop') {
      for (const n of targets) dropConnections(n);
      return answer();
    }
    if (action === 'reset') {
      return Promise.all(targets.map((n) => resetState(n, now))).then(answer, (e) => fail(500, e.message));
    }
    if (action !== 'steer') return fail(404, `unknown action '${action}'`);
    const v = validateSteer(body);
    if (v.error) return fail(400, v.error);
    Promise.all(targets.map((n) => applySteer(n, v.values, now))).then(answer, (e) => fail(500, e.message));
  });
}

// ---------------------------------------------------------------------------------------------
// Start-up

function buildNodes(o) {
  const specs = [];
  let control = o.control;
  if (o.config) {
    const cfg = readJsonFile(o.config);
    if (!cfg || typeof cfg !== 'object' || !Array.isArray(cfg.nodes)) die(`${o.config}: expected {"nodes":[...]}`);
    if (control === null && cfg.control !== undefined && cfg.control !== null) {
      if (!isInt(cfg.control, 0, 65535)) die(`${o.config}: bad control port`);
      control = cfg.control;
    }
    if (typeof cfg.listen === 'string' && !o.listenGiven) o.listen = cfg.listen;
    cfg.nodes.forEach((n, i) => {
      if (!n || typeof n !== 'object') die(`${o.config}: nodes[${i}] is not an object`);
      const chain = n.chain === undefined ? o.chain : n.chain;
      if (typeof chain !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(chain)) die(`${o.config}: nodes[${i}]: bad chain`);
      let port = n.port;
      if (port === undefined) {
        if (o.basePort === null) die(`${o.config}: nodes[${i}] has no port and no --base-port was given`);
        port = o.basePort === 0 ? 0 : o.basePort + i;
      }
      if (!isInt(port, 0, 65535)) die(`${o.config}: nodes[${i}]: bad port`);
      const name = n.name === undefined ? `${chain}-${i}` : n.name;
      if (typeof name !== 'string' || !/^[\x21-\x7e]{1,100}$/.test(name) || name.includes('/')) die(`${o.config}: nodes[${i}]: bad name`);
      const steer = {};
      for (const k of Object.keys(n)) if (k !== 'name' && k !== 'chain' && k !== 'port') steer[k] = n[k];
      const v = validateSteer(steer);
      if (v.error) die(`${o.config}: nodes[${i}] (${name}): ${v.error}`);
      specs.push({ name, chain, port, steer: v.values });
    });
  } else {
    if (o.basePort === null) die(`--base-port is required (or --config)\n${USAGE}`);
    if (o.nodes === null) die(`--nodes is required (or --config)\n${USAGE}`);
    for (let i = 0; i < o.nodes; i++) {
      specs.push({ name: `${o.chain}-${i}`, chain: o.chain, port: o.basePort === 0 ? 0 : o.basePort + i, steer: {} });
    }
  }
  for (const sp of specs) if (sp.port > 65535) die(`port ${sp.port} of ${sp.name} is out of range`);
  return { specs, control };
}

async function main() {
  opts = parseArgs(process.argv.slice(2));
  opts.listenGiven = process.argv.some((a) => a === '--listen' || a.startsWith('--listen='));
  D = loadData(opts);
  const { specs, control } = buildNodes(opts);
  if (!WebSocketServer) log('npm package ws not found (set NODE_PATH): WebSocket disabled, running HTTP only');

  httpServer = http.createServer({ keepAliveTimeout: opts.keepaliveTimeoutMs, requestTimeout: 0, headersTimeout: 60000 }, onHttpRequest);
  httpServer.keepAliveTimeout = opts.keepaliveTimeoutMs; // 0: keep idle connections open (like hyper)
  httpServer.on('upgrade', onUpgrade);
  httpServer.on('clientError', (err, socket) => {
    if (socket.writable && !socket.destroyed && err.code !== 'ECONNRESET') {
      const node = socket[NODE];
      socket.end(`HTTP/1.1 400 Bad Request\r\n${node ? `X-Node: ${node.nameHeader}\r\n` : ''}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    } else socket.destroy();
  });
  if (WebSocketServer) {
    wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: D.maxBody, clientTracking: false });
    wss.on('headers', (headers, req) => {
      const node = req.socket[NODE];
      if (node) headers.push(`X-Node: ${node.nameHeader}`);
    });
    wss.on('error', (e) => log(`WebSocket server error: ${e.message}`));
  }

  startTime = Date.now();
  for (const sp of specs) {
    if (nodesByName.has(sp.name)) die(`duplicate node name '${sp.name}'`);
    const chain = networkOf(sp.chain);
    const state = defaultState(opts);
    for (const k of Object.keys(sp.steer)) if (k !== 'down') state[k] = sp.steer[k];
    const node = new SimNode(sp.name, chain, sp.port, state, startTime);
    node.rpcErrorText = state.rpc_error ? JSON.stringify(state.rpc_error) : null;
    node.initialDown = sp.steer.down === true;
    node.initial.down = false;
    nodes.push(node);
    nodesByName.set(sp.name, node);
  }

  // Listen in chunks so that thousands of nodes start quickly without a burst of errors.
  const CHUNK = 200;
  for (let i = 0; i < nodes.length; i += CHUNK) {
    try {
      await Promise.all(nodes.slice(i, i + CHUNK).map(listenNode));
    } catch (e) {
      die(`cannot listen: ${e.message}`);
    }
  }

  let controlPort = null;
  if (control !== null) {
    const ctl = http.createServer(onControl);
    ctl.keepAliveTimeout = 60000;
    await new Promise((resolve) => {
      ctl.on('error', (e) => die(`cannot listen on control port ${control}: ${e.message}`));
      ctl.listen({ host: '127.0.0.1', port: control }, resolve);
    });
    controlPort = ctl.address().port;
    ctl.removeAllListeners('error');
    ctl.on('error', (e) => log(`control server error: ${e.message}`));
    ctl.on('clientError', (err, socket) => socket.destroy());
  }

  for (const node of nodes) {
    if (node.initialDown) {
      node.s.down = true;
      await closeNode(node);
    }
  }

  setInterval(tickSubscriptions, 100);

  const ready = { control: controlPort, nodes: nodes.map((n) => ({ name: n.name, port: n.port })) };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);

  const shutdown = () => {
    for (const node of nodes) {
      dropConnections(node);
      if (node.server) node.server.close();
    }
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((e) => die(`start-up failed: ${(e && e.stack) || e}`));
