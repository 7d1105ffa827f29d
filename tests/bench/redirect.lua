-- wrk script for the redirect benchmark: random codes from $CODES_FILE, a mix of browser
-- (about 80 %) and link-preview/bot user agents; counts answers per status and prints them as
-- one JSON line at the end.
local codes = {}
for line in io.lines(os.getenv("CODES_FILE")) do
  if #line > 0 then codes[#codes + 1] = line end
end

local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
  "Twitterbot/1.0",
}

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  found, notfound, other = 0, 0, 0
end

function request()
  local code = codes[math.random(#codes)]
  local ip = "198.51." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format("GET", "/r/" .. code, { ["User-Agent"] = agents[math.random(#agents)], ["X-Forwarded-For"] = ip })
end

function response(status, headers, body)
  if status == 302 then found = found + 1
  elseif status == 404 then notfound = notfound + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local f, n, o = 0, 0, 0
  for _, t in ipairs(threads) do
    f = f + t:get("found"); n = n + t:get("notfound"); o = o + t:get("other")
  end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"found_302":%d,"not_found":%d,"other_status":%d,"socket_errors":%d,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, summary.duration, f, n, o,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
