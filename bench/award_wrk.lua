-- wrk script for bench/award.py: every request awards a distinct (customer, rule) pair.
-- Arguments: api-key rule-id-1 rule-id-2 customer-count thread-count
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  sent, not_created = 0, 0
  key, rules = args[1], { args[2], args[3] }
  customers, thread_count = tonumber(args[4]), tonumber(args[5])
end

function request()
  local i = sent * thread_count + id
  sent = sent + 1
  local customer = 2000001 + (i % customers)
  local rule = rules[math.floor(i / customers) % 2 + 1]
  return wrk.format("POST", "/v1/earning-rules/" .. rule .. "/award",
    { ["Authorization"] = key, ["Content-Type"] = "application/json" },
    '{"customer_identifier":"' .. customer .. '"}')
end

function response(status, headers, body)
  if status ~= 201 then not_created = not_created + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_created") end
  io.write(string.format("NOT_CREATED %d\n", total))
end
