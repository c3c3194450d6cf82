-- wrk script for bench/award.py: every request awards a distinct (customer, rule) pair.
-- Arguments: api-key rule-id-1 rule-id-2 customer-count thread-count first-pair
-- (first-pair: how many pairs earlier runs used, so each run awards new pairs)
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  sent, not_created = 0, 0
  key, rules = args[1], { args[2], args[3] }
  customers, thread_count, first = tonumber(args[4]), tonumber(args[5]), tonumber(args[6] or 0)
end

function request()
  local i = first + sent * thread_count + id
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
  local total, most_sent = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("not_created")
    most_sent = math.max(most_sent, thread:get("sent"))
  end
  io.write(string.format("NOT_CREATED %d\n", total))
  -- The first pair no request of this run used, for the next run to start from.
  io.write(string.format("NEXT_PAIR %d\n", threads[1]:get("first") + most_sent * #threads))
end
