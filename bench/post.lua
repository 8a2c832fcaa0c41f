-- wrk script: POST the JSON body read from the file named by BENCH_BODY, and count the
-- responses that are not a 200 carrying a page of products ("edges", no "errors").
-- Usage: BENCH_BODY=bench/bodies/storefront.json wrk -s bench/post.lua ... URL

local path = assert(os.getenv("BENCH_BODY"), "set BENCH_BODY to the request body file")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
wrk.headers["Content-Type"] = "application/json"
file:close()

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

bad = 0

function response(status, headers, body)
  if status ~= 200 or not body:find('"edges"', 1, true) or body:find('"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format("bench_bad_responses %d\n", total))
end
