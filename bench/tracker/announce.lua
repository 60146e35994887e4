-- wrk script for bench/tracker/capacity.sh: every request announces a random peer on a random info-hash from the
-- file given after `--` (40 hex digits a line, the same info-hashes the FileSwarm tracker holds). opentracker keys a
-- peer by address and port, and every request comes from 127.0.0.1, so the port carries the peer's identity.
--   wrk ... -s announce.lua http://127.0.0.1:PORT -- HASHES_FILE [PEERS] [sequential]
-- With "sequential" (use one thread), request i announces peer i mod PEERS on info-hash i mod #hashes, so PEERS
-- requests fill the tracker with exactly PEERS peers spread evenly (bench/memory/run.sh).
local hashes, count, peers, sequential, sent = {}, 0, 100000, false, 0

function init(args)
  for line in io.lines(args[1]) do
    count = count + 1
    hashes[count] = (line:gsub("..", function(byte) return "%" .. byte end))
  end
  peers = tonumber(args[2] or peers)
  sequential = args[3] == "sequential"
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local peer, hash
  if sequential then
    peer, hash = sent % peers + 1, sent % count + 1
    sent = sent + 1
  else
    peer, hash = math.random(peers), math.random(count)
  end
  local path = string.format(
    "/announce?info_hash=%s&peer_id=-WK0001-%012d&port=%d&uploaded=0&downloaded=0&left=1024&compact=1&numwant=50",
    hashes[hash], peer, 1024 + peer % 64000)
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d status_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
