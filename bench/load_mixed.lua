-- wrk script of bench/load_mixed.sh: a mixed docsmith workload (or /healthz
-- and /metrics probes), closed-loop or open-loop, with one record per response.
--
--   LM_MODE=mix LM_RATE=300 ... wrk -t1 -c256 -d60s -s bench/load_mixed.lua http://127.0.0.1:PORT
--
-- Env (read when the script loads, in every wrk thread):
--   LM_MODE     mix (default) | health (probes: the LM_PROBES types in turn)
--   LM_RATE     total requests/s of this wrk process, spread over LM_THREADS
--               threads; each thread sends at Poisson arrival times (open
--               loop: the send times do not depend on the answers, as long as
--               a connection is free). 0 or unset: closed loop (each
--               connection sends its next request as soon as it has an answer).
--   LM_THREADS  wrk's -t (to split LM_RATE); default 1
--   LM_MIX      weights, e.g. "invoice=5,xlsx=3,image=1,zip=1" (mix mode)
--   LM_PROBES   health mode: the probe types, sent round-robin (each thread
--               alternates them, so they get equal shares of LM_RATE);
--               default "health,metrics" (GET /healthz, GET /metrics)
--   LM_INVOICE, LM_XLSX, LM_ZIP   JSON job files (POST /v1/render)
--   LM_IMAGE_BODY, LM_IMAGE_CT    multipart body file and its Content-Type (POST /v1/images)
--   LM_OUT      where done() writes the records (TSV, see below)
--   LM_SAMPLE_DIR  when set, the first 200 body of each type is saved there
--               as <type>.<ext> (thread 1 only)
--   LM_SEED     random seed (default 42)
--   LM_CONNECTIONS  wrk's -c, only echoed into LM_OUT
--
-- Every request carries X-Request-Id: lm-<thread>-<n>; docsmith echoes it,
-- which ties each response to its request even with many connections per
-- thread. Record lines (tab-separated):
--   type status latency_ms lag_ms retry_after body_ok bytes
-- latency_ms: from the moment wrk hands the request to the socket to the
-- complete response (monotonic clock, LuaJIT ffi clock_gettime);
-- lag_ms: open loop only, how late the request left against its scheduled
-- arrival time (all connections busy = the generator fell behind);
-- retry_after: the Retry-After value or "-"; body_ok: 1/0 for a 200 whose
-- body starts as it should (%PDF, PK\3\4, {"status":"ok"}; /metrics: "# HELP"
-- or "# TYPE" and a Content-Type text/plain; version=0.0.4), "-" otherwise.
-- Comment lines "# key value" carry the per-process totals: sent, answered,
-- unmatched (no known X-Request-Id), unanswered (still in flight when wrk
-- stopped), wrk's socket errors, duration.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } lm_timespec;
  int clock_gettime(int clk_id, lm_timespec *tp);
]]
local ts = ffi.new("lm_timespec")
local CLOCK_MONOTONIC = 1
local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error("load_mixed.lua: cannot open " .. tostring(path) .. ": " .. tostring(err)) end
  local data = f:read("*a")
  f:close()
  return data
end

local MODE = env("LM_MODE", "mix")
local RATE = tonumber(env("LM_RATE", "0")) or 0
local THREADS = tonumber(env("LM_THREADS", "1")) or 1
local SEED = tonumber(env("LM_SEED", "42")) or 42
local SAMPLE_DIR = env("LM_SAMPLE_DIR", nil)

local PDF, ZIP, XLSX, WEBP = "application/pdf", "application/zip",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "image/webp"

-- type -> { method, path, content type, accept, body file, expected body
-- prefix (or a list of allowed prefixes), sample extension, expected
-- Content-Type prefix of a 200 (optional) }
local PROM_CT = "text/plain; version=0.0.4"
local KINDS = {
  invoice = { "POST", "/v1/render", "application/json", PDF, "LM_INVOICE", "%PDF", "pdf" },
  xlsx    = { "POST", "/v1/render", "application/json", XLSX, "LM_XLSX", "PK\3\4", "xlsx" },
  image   = { "POST", "/v1/images", nil, ZIP .. ", " .. WEBP, "LM_IMAGE_BODY", "PK\3\4", "zip" },
  zip     = { "POST", "/v1/render", "application/json", ZIP, "LM_ZIP", "PK\3\4", "zip" },
  health  = { "GET", "/healthz", nil, "application/json", nil, '{"status":"ok"}', "json" },
  metrics = { "GET", "/metrics", nil, PROM_CT, nil, { "# HELP", "# TYPE" }, "txt", PROM_CT },
}

-- The request of each type, split around the request id.
local ID_MARK = "@LM_ID@"
local templates = {}
local function build(kind)
  local k = KINDS[kind]
  if not k then error("load_mixed.lua: unknown request type " .. kind) end
  local headers = { ["X-Request-Id"] = ID_MARK, ["Accept"] = k[4] }
  local body = nil
  if k[5] then
    body = read_file(env(k[5], nil) or error("load_mixed.lua: " .. k[5] .. " not set"))
    headers["Content-Type"] = k[3] or env("LM_IMAGE_CT", nil) or error("load_mixed.lua: LM_IMAGE_CT not set")
  end
  local req = wrk.format(k[1], k[2], headers, body)
  local at = req:find(ID_MARK, 1, true)
  templates[kind] = { req:sub(1, at - 1), req:sub(at + #ID_MARK) }
end

-- The weighted mix, as a cumulative table.
local mix = {}
local total_weight = 0
local probes = {}      -- health mode: the probe types, in turn
if MODE == "health" then
  for name in env("LM_PROBES", "health,metrics"):gmatch("[%w_]+") do
    if name ~= "health" and name ~= "metrics" then
      error("load_mixed.lua: LM_PROBES takes health and metrics (got " .. name .. ")")
    end
    build(name)
    probes[#probes + 1] = name
  end
  if #probes == 0 then error("load_mixed.lua: LM_PROBES is empty") end
elseif MODE == "mix" then
  for name, w in env("LM_MIX", "invoice=5,xlsx=3,image=1,zip=1"):gmatch("([%w_]+)=([%d.]+)") do
    w = tonumber(w)
    if w > 0 then
      build(name)
      total_weight = total_weight + w
      mix[#mix + 1] = { name, total_weight }
    end
  end
  if #mix == 0 then error("load_mixed.lua: LM_MIX has no positive weight") end
else
  error("load_mixed.lua: LM_MODE must be mix or health")
end

local probe_n = 0
local function pick()
  if #probes > 0 then
    -- Round-robin, not random: an exact 1:1 split of the probes.
    probe_n = probe_n % #probes + 1
    return probes[probe_n]
  end
  if #mix == 1 then return mix[1][1] end
  local r = math.random() * total_weight
  for i = 1, #mix do
    if r < mix[i][2] then return mix[i][1] end
  end
  return mix[#mix][1]
end

-- Per-thread state (every wrk thread runs this file in its own Lua state).
tid = 0                 -- set by setup()
records = {}            -- record lines, fetched by done()
sent, answered, unmatched = 0, 0, 0
open_requests = {}      -- type -> requests sent and not answered yet
local inflight = {}     -- id -> { type, send time, lag }
local slots = {}        -- scheduled send times handed out by delay(), FIFO
local slot_head, slot_tail = 1, 0
local next_slot = nil
local rate = RATE / THREADS
local saved = {}

function setup(thread)
  setup_count = (setup_count or 0) + 1
  thread:set("tid", setup_count)
  threads = threads or {}
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(SEED + 7919 * tid)
end

local function exp_interval()
  return -math.log(1 - math.random()) / rate
end

if rate > 0 then
  -- Open loop: called before each request of a connection; the connection
  -- waits until the next Poisson arrival time that no other connection took.
  function delay()
    local t = now()
    if next_slot == nil then next_slot = t end
    local slot = next_slot
    next_slot = next_slot + exp_interval()
    slot_tail = slot_tail + 1
    slots[slot_tail] = slot
    local ms = (slot - t) * 1000
    if ms < 1 then return 0 end
    return math.floor(ms + 0.5)
  end
end

function request()
  local kind = pick()
  sent = sent + 1
  local id = "lm-" .. tid .. "-" .. sent
  local t = now()
  local lag = 0
  if slot_head <= slot_tail then
    local slot = slots[slot_head]
    slots[slot_head] = nil
    slot_head = slot_head + 1
    lag = t - slot
    if lag < 0 then lag = 0 end
  end
  inflight[id] = { kind, t, lag }
  open_requests[kind] = (open_requests[kind] or 0) + 1
  local tpl = templates[kind]
  return tpl[1] .. id .. tpl[2]
end

function response(status, headers, body)
  local t = now()
  local id, retry, ctype = nil, "-", ""
  for name, value in pairs(headers) do
    local lname = name:lower()
    if lname == "x-request-id" then
      id = value
    elseif lname == "retry-after" then
      retry = value
    elseif lname == "content-type" then
      ctype = value
    end
  end
  local req = id and inflight[id]
  if not req then
    unmatched = unmatched + 1
    return
  end
  inflight[id] = nil
  answered = answered + 1
  local kind = req[1]
  open_requests[kind] = open_requests[kind] - 1
  local ok = "-"
  if status == 200 then
    local k = KINDS[kind]
    local prefixes = type(k[6]) == "table" and k[6] or { k[6] }
    local good = false
    for _, prefix in ipairs(prefixes) do
      if body:sub(1, #prefix) == prefix then good = true end
    end
    if k[8] and ctype:sub(1, #k[8]) ~= k[8] then good = false end
    ok = good and "1" or "0"
    if SAMPLE_DIR and tid == 1 and not saved[kind] then
      saved[kind] = true
      local f = io.open(SAMPLE_DIR .. "/" .. kind .. "." .. KINDS[kind][7], "wb")
      if f then
        f:write(body)
        f:close()
      end
    end
  end
  records[#records + 1] = string.format("%s\t%d\t%.3f\t%.3f\t%s\t%s\t%d",
    kind, status, (t - req[2]) * 1000, req[3] * 1000, retry, ok, #body)
end

function done(summary, latency, requests)
  local out = env("LM_OUT", nil)
  local f = out and io.open(out, "w") or io.stdout
  local totals = { sent = 0, answered = 0, unmatched = 0 }
  local open = {}
  for _, thread in ipairs(threads or {}) do
    for _, line in ipairs(thread:get("records") or {}) do
      f:write(line, "\n")
    end
    for key in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
    for kind, n in pairs(thread:get("open_requests") or {}) do
      open[kind] = (open[kind] or 0) + n
    end
  end
  f:write(string.format("# mode\t%s\n# rate\t%s\n# connections\t%s\n# duration_s\t%.3f\n",
    MODE, RATE, env("LM_CONNECTIONS", "?"), summary.duration / 1e6))
  for key, v in pairs(totals) do f:write(string.format("# %s\t%d\n", key, v)) end
  for kind, n in pairs(open) do f:write(string.format("# unanswered_%s\t%d\n", kind, n)) end
  local e = summary.errors
  f:write(string.format("# connect_err\t%d\n# read_err\t%d\n# write_err\t%d\n# timeouts\t%d\n# wrk_requests\t%d\n",
    e.connect, e.read, e.write, e.timeout, summary.requests))
  if f ~= io.stdout then f:close() end
end
