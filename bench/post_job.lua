-- wrk script: POST a docsmith job whose JSON body is read from a file.
--
--   wrk -t2 -c16 -d20s --latency -s bench/post_job.lua http://127.0.0.1:PORT/v1/render -- JOB.json
--
-- The body file may also be given as env DOCSMITH_BODY_FILE. The Accept header is
-- env DOCSMITH_ACCEPT when set (bench/pdf_http_load.sh: application/pdf), else the
-- XLSX type. At the end it prints one machine-readable line (parsed by
-- bench/xlsx_http_load.sh and bench/pdf_http_load.sh):
--   BENCH rps=... p50_ms=... p90_ms=... p99_ms=... max_ms=... non2xx=... ...

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error("post_job.lua: cannot open body file: " .. tostring(err)) end
  local data = f:read("*a")
  f:close()
  return data
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local accept = os.getenv("DOCSMITH_ACCEPT")
if not accept or accept == "" then
  accept = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
end
wrk.headers["Accept"] = accept

local env_path = os.getenv("DOCSMITH_BODY_FILE")
if env_path and env_path ~= "" then
  wrk.body = read_file(env_path)
end

-- Runs once per wrk thread, before its request is formatted.
function init(args)
  if args[1] then
    wrk.body = read_file(args[1])
  end
  if not wrk.body or #wrk.body == 0 then
    error("post_job.lua: no body (pass the JSON file after --, or set DOCSMITH_BODY_FILE)")
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.2f requests=%d duration_s=%.2f bytes=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f"
      .. " max_ms=%.3f mean_ms=%.3f non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests / secs, summary.requests, secs, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
