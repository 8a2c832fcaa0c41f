-- wrk script: replay the requests of the file named by BENCH_REQUESTS (written by
-- bench/mix.py: one request per line, "path<TAB>bearer token or empty<TAB>JSON body"), each
-- thread cycling through the list from its own offset, and check every answer.
-- Usage: BENCH_REQUESTS=requests.tsv wrk -s bench/mix.lua --latency ... http://127.0.0.1:PORT
--
-- An answer is bad unless it is a 200 whose body starts with {"data":{ , holds no "errors"
-- and is not a null shop or node (every slug and id of the mix exists). At the end it prints
-- "bench_bad N", "bench_status N" (non-200 among the bad ones) and the good answers per root
-- field ("bench_products N", "bench_shop N", "bench_node N").

local file_name = assert(os.getenv("BENCH_REQUESTS"), "set BENCH_REQUESTS to the request file")
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("number", counter)
  table.insert(threads, thread)
end

local requests = {}
local index = 0

function init(args)
  local file = assert(io.open(file_name, "rb"))
  for line in file:lines() do
    local path, token, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if path then
      local headers = { ["Content-Type"] = "application/json" }
      if token ~= "" then
        headers["Authorization"] = "Bearer " .. token
      end
      requests[#requests + 1] = wrk.format("POST", path, headers, body)
    end
  end
  file:close()
  assert(#requests > 0, "no request in " .. file_name)
  index = ((number or 1) - 1) * 997 % #requests
end

function request()
  index = index % #requests + 1
  return requests[index]
end

bad = 0
status_errors = 0
products = 0
shop = 0
node = 0

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    status_errors = status_errors + 1
    return
  end
  if body:find('"errors"', 1, true) or body:sub(1, 9) ~= '{"data":{' then
    bad = bad + 1
  elseif body:find('{"data":{"products":', 1, true) == 1 then
    products = products + 1
  elseif body:find('{"data":{"shop":{', 1, true) == 1 then
    shop = shop + 1
  elseif body:find('{"data":{"node":{', 1, true) == 1 then
    node = node + 1
  else
    bad = bad + 1 -- a null shop or node, or another root field
  end
end

function done(summary, latency, requests)
  local totals = { bad = 0, status_errors = 0, products = 0, shop = 0, node = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  io.write(string.format("bench_bad %d\n", totals.bad))
  io.write(string.format("bench_status %d\n", totals.status_errors))
  io.write(string.format("bench_products %d\n", totals.products))
  io.write(string.format("bench_shop %d\n", totals.shop))
  io.write(string.format("bench_node %d\n", totals.node))
end
