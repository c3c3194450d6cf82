-- wrk script for bench/api.py: GET /v1/customers/{id} for the seeded members in turn.
-- Arguments: api-key member-count
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  key, members, sent = args[1], tonumber(args[2]), 0
end

function request()
  sent = sent + 1
  return wrk.format("GET", "/v1/customers/" .. (2000001 + (sent * 2 + id) % members), { ["Authorization"] = key })
end
