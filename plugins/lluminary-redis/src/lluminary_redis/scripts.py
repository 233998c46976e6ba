"""The Lua scripts that make the counter store atomic, run with EVALSHA (EVAL when the server
answers NOSCRIPT: after a restart or a SCRIPT FLUSH).

Counters hold integer nano-units: a plain counter is a string (``INCRBY``), a windowed one a hash
of window number -> sub-total (``HINCRBY``), window numbers counted in milliseconds of the
server's clock (``TIME``), the one clock every process shares. Increments are passed as strings
so they stay exact; only comparisons happen in Lua's doubles. Numbers go back as strings, since
Redis would truncate a Lua number to an integer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

#: Shared by the scripts: the server's clock in milliseconds, a sliding total, a retry-after.
_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function slot_name(slot)
  return string.format('%d', slot)
end

local function sliding(key, window, now)
  local slot = math.floor(now / window)
  local elapsed = now - slot * window
  local current = tonumber(redis.call('HGET', key, slot_name(slot)) or '0')
  local previous = tonumber(redis.call('HGET', key, slot_name(slot - 1)) or '0')
  return previous * (1 - elapsed / window) + current, current, previous, elapsed, slot
end

local function kind_error(index, wanted)
  return redis.error_reply('LLUMINARY_KIND ' .. index .. ' ' .. wanted)
end
"""

#: KEYS: the counters. ARGV[1]: the largest total; then four per counter: units to add, limit
#: ('' for none), window in ms (0: none), ttl in ms (0: none). Adds to every counter or to none.
#: Returns {granted 1/0, index refused (0), retry-after ms ('-1': none), totals..., windows...}.
RESERVE = _COMMON + """
local function retry_after(current, previous, elapsed, window, room)
  if room < 0 then return -1 end
  if current <= room then
    if previous <= 0 then return 0 end
    return math.max(window * (1 - (room - current) / previous) - elapsed, 0)
  end
  return (window - elapsed) + window * (1 - room / current)
end

local largest = tonumber(ARGV[1])
local n = #KEYS
local now = nil
local totals, slots = {}, {}
local refused, retry = 0, -1
for i = 1, n do
  local a = 2 + (i - 1) * 4
  local key, units, limit, window = KEYS[i], tonumber(ARGV[a]), ARGV[a + 1], tonumber(ARGV[a + 2])
  local kind = redis.call('TYPE', key)['ok']
  local total, current, previous, elapsed = 0, 0, 0, 0
  if window > 0 then
    if kind ~= 'hash' and kind ~= 'none' then return kind_error(i, 'window') end
    now = now or now_ms()
    total, current, previous, elapsed, slots[i] = sliding(key, window, now)
  else
    if kind ~= 'string' and kind ~= 'none' then return kind_error(i, 'plain') end
    current = tonumber(redis.call('GET', key) or '0')
    total = current
    slots[i] = -1
  end
  if math.abs(current + units) > largest then
    return redis.error_reply('LLUMINARY_OVERFLOW ' .. i)
  end
  totals[i] = total
  if refused == 0 and limit ~= '' and total + units > tonumber(limit) then
    refused = i
    if window > 0 then retry = retry_after(current, previous, elapsed, window, tonumber(limit) - units) end
  end
end
if refused == 0 then
  for i = 1, n do
    local a = 2 + (i - 1) * 4
    local key, units, window, ttl = KEYS[i], ARGV[a], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
    if window > 0 then
      local slot = slots[i]
      redis.call('HINCRBY', key, slot_name(slot), units)
      -- This window counts until the next one ends; older ones go.
      redis.call('PEXPIREAT', key, slot_name((slot + 2) * window))
      if redis.call('HLEN', key) > 2 then
        local keep, previous = slot_name(slot), slot_name(slot - 1)
        for _, name in ipairs(redis.call('HKEYS', key)) do
          if name ~= keep and name ~= previous then redis.call('HDEL', key, name) end
        end
      end
      totals[i] = totals[i] + tonumber(units)
    else
      totals[i] = redis.call('INCRBY', key, units)
      if ttl > 0 and redis.call('PTTL', key) == -1 then redis.call('PEXPIRE', key, ttl) end
    end
  end
end
local reply = {refused == 0 and 1 or 0, refused, string.format('%.17g', retry)}
for i = 1, n do reply[#reply + 1] = string.format('%.17g', totals[i]) end
for i = 1, n do reply[#reply + 1] = slots[i] end
return reply
"""

#: KEYS: the counters; ARGV, two per counter: units to add, window number ('' for a plain
#: counter). Counters (and windows) that no longer exist are left alone.
SETTLE = """
for i = 1, #KEYS do
  local units, slot = ARGV[2 * i - 1], ARGV[2 * i]
  if slot == '' then
    if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], units) end
  elseif redis.call('HEXISTS', KEYS[i], slot) == 1 then
    redis.call('HINCRBY', KEYS[i], slot, units)
  end
end
return 1
"""

#: KEYS[1]: a windowed counter; ARGV[1]: the window in ms. Returns its sliding total.
WINDOW_TOTAL = _COMMON + """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return '0' end
if kind ~= 'hash' then return kind_error(1, 'window') end
local total = sliding(KEYS[1], tonumber(ARGV[1]), now_ms())
return string.format('%.17g', total)
"""


@dataclass(frozen=True)
class Script:
    """A Lua script known by its SHA1, run with EVALSHA and loaded on NOSCRIPT."""

    source: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.source.encode(), usedforsecurity=False).hexdigest())

    async def __call__(self, redis: Redis, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)


reserve = Script(RESERVE)
settle = Script(SETTLE)
window_total = Script(WINDOW_TOTAL)
