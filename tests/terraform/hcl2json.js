// SPDX-License-Identifier: MIT
// Parses every .tf file under each directory named on the command line with
// @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly) and prints one JSON
// object: {"<dir>": {"<path relative to dir>": <parsed file>}}. A file that does not parse
// is reported as {"error": "<message>"} in its place, so one run covers every copy of the
// tree the checks need. Needs NODE_PATH to hold the pinned peers (tests/peers/).
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktf/hcl2json');

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
	for (const dir of process.argv.slice(2)) {
		result[dir] = {};
		for (const f of tfFiles(dir)) {
			try {
				result[dir][f] = await parse(f, fs.readFileSync(path.join(dir, f), 'utf8'));
			} catch (e) {
				result[dir][f] = { error: String(e && e.message ? e.message : e) };
			}
		}
	}
	process.stdout.write(JSON.stringify(result));
})().catch((e) => {
	console.error(`hcl2json.js: ${e}`);
	process.exit(2);
});
