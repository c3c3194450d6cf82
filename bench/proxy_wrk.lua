-- wrk script for bench/proxy.py: GET the signed /proxy/customer paths of a file, one a line, in turn.
-- Argument: the file (bench/proxy.py writes it freshly signed before each run).
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do table.insert(paths, line) end
  sent = 0
end

function request()
  sent = sent + 1
  return wrk.format("GET", paths[(sent * 2 + id) % #paths + 1])
end
