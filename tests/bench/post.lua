-- SPDX-License-Identifier: MIT
-- wrk script for tests/bench/run.sh: POSTs the request bodies named after
-- "--" on the wrk command line, round-robin, to "/" with Host
-- polkadot.example.org. The requests are built once in init(), so request()
-- costs one table lookup (wrk's advice for fast servers).
local requests = {}
local n = 0

function init(args)
	local headers = {
		["Host"] = "polkadot.example.org",
		["Content-Type"] = "application/json",
	}
	for _, path in ipairs(args) do
		local f = assert(io.open(path, "rb"))
		local body = f:read("*a")
		f:close()
		requests[#requests + 1] = wrk.format("POST", "/", headers, body)
	end
	assert(#requests > 0, "post.lua: no body given after --")
end

function request()
	n = n % #requests + 1
	return requests[n]
end
