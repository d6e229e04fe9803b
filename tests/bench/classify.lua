-- SPDX-License-Identifier: MIT
-- The Lua classifier an HAProxy admin would write instead of polkfura-spoa,
-- for the comparison in tests/bench/run.sh (not shipped). Loaded with
-- lua-load-per-thread; the action "lua.pf_classify" decodes req.body with
-- lua-cjson and sets txn.rpc.method / txn.rpc.class (the names the agent's
-- variables get) from a table built from methods.tsv at start. A batch takes
-- the most restrictive class of its members, as the agent does.
local cjson = require("cjson")

local path = os.getenv("PF_METHODS_TSV") or "haproxy/methods.tsv"
local class_of = {}
for line in io.lines(path) do
	local method, class = line:match("^([^\t]+)\t([^\t]+)")
	if method ~= nil and method ~= "method" then
		class_of[method] = class
	end
end

local rank = { read = 0, subscribe = 1, submit = 2, heavy = 3, unknown = 4, invalid = 5, unsafe = 6 }

local function classify_call(call)
	if type(call) ~= "table" or type(call.method) ~= "string" then
		return "invalid", nil
	end
	return class_of[call.method] or "unknown", call.method
end

core.register_action("pf_classify", { "http-req" }, function(txn)
	local ok, doc = pcall(cjson.decode, txn.f:req_body() or "")
	local class, method = "invalid", nil

	if ok and type(doc) == "table" then
		if doc[1] ~= nil then
			class = nil
			for _, call in ipairs(doc) do
				local c, m = classify_call(call)
				if class == nil or rank[c] > rank[class] then
					class, method = c, m
				end
			end
		else
			class, method = classify_call(doc)
		end
	end
	txn:set_var("txn.rpc.class", class)
	if method ~= nil then
		txn:set_var("txn.rpc.method", method)
	end
end)
