-- wrk script: offer a fixed request rate (env RATE, requests per second, over all connections of the one wrk thread)
-- instead of saturating. Each response asks delay() when to send the next request on that connection; requests are
-- handed evenly spaced time slots. A slot already past is used at once (catching up), but at most 50 ms of backlog is
-- kept, so a stall does not turn into a burst. Debian's wrk is built with LuaJIT, whose ffi gives a millisecond clock.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")

local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval_ms = 1000 / tonumber(os.getenv("RATE") or "10000")
local next_slot = 0

function delay()
    local now = now_ms()
    if next_slot < now - 50 then
        next_slot = now - 50
    end
    local wait = next_slot - now
    next_slot = next_slot + interval_ms
    if wait <= 0 then
        return 0
    end
    return math.floor(wait)
end
