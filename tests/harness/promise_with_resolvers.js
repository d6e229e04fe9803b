// SPDX-License-Identifier: MIT
// Promise.withResolvers (ES2024, Node.js 22) for js-ipfs 0.66.1 on Node.js 20:
// its lock library mortice 3.3.1 calls it (dist/*.js, p-queue inlined) the
// first time the repository is locked, and the daemon dies with a TypeError
// without it. Loaded with NODE_OPTIONS=--require so every Node process the
// daemon starts gets it too. Does nothing where Node has it already.
'use strict';

if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
