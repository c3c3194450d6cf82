-- wrk script for bench/proxy.py and bench/api.py: GET a random path of a file (one a line),
-- with an Authorization header when one is given.
-- Arguments: the file [authorization]

function init(args)
  paths, headers = {}, {}
  for line in io.lines(args[1]) do table.insert(paths, line) end
  if args[2] then headers["Authorization"] = args[2] end
  math.randomseed(os.time() + #paths)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
