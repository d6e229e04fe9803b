// SPDX-License-Identifier: MIT
// Parses with @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly) every .tf
// file under each directory named on the command line, and each file named, and prints one
// JSON object: {"<dir>": {"<path relative to dir>": <parsed>}, "<file>": <parsed>}. A file
// that does not parse is {"error": "<message>"} in its place, so one run covers the tree
// and every broken file the checks need. Needs NODE_PATH to hold the pinned peers (tests/peers/).
'use strict';
const fs = require('fs');
const path = require('path');
let parse;
try {
	({ parse } = require('@cdktf/hcl2json'));
} catch (e) {
	console.error('hcl2json.js: cannot load @cdktf/hcl2json (the pinned test peer; NODE_PATH must hold it)');
	process.exit(2);
}

async function parseFile(file, name) {
	try {
		return await parse(name, fs.readFileSync(file, 'utf8'));
	} catch (e) {
		return { error: String(e && e.message ? e.message : e) };
	}
}

function tfFiles(dir, rel = '') {
	let out = [];
	for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
		const r = path.join(rel, e.name);
		if (e.isDirectory()) {
			if (e.name !== '.terraform') out = out.concat(tfFiles(dir, r));
		} else if (e.name.endsWith('.tf')) {
			out.push(r);
		}
	}
	return out.sort();
}

(async () => {
	const result = {};
	for (const arg of process.argv.slice(2)) {
		if (fs.statSync(arg).isDirectory()) {
			result[arg] = {};
			for (const f of tfFiles(arg)) result[arg][f] = await parseFile(path.join(arg, f), f);
		} else {
			result[arg] = await parseFile(arg, path.basename(arg));
		}
	}
	process.stdout.write(JSON.stringify(result));
})().catch((e) => {
	console.error(`hcl2json.js: ${e}`);
	process.exit(2);
});
