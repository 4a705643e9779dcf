-- wrk script of bench/scale.sh: the API mix of an office at work, per connection (run with as
-- many threads as connections, so that each thread's requests and answers alternate):
-- a case reported, registered and dispatched (three writes, each with its If-Match), four
-- point-in-grid lookups around the city and two pages of the case list.
local token = os.getenv("TOKEN")
local lon = tonumber(os.getenv("LON"))
local lat = tonumber(os.getenv("LAT"))
local step, id = 0, nil
local json = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
local read = { ["Authorization"] = "Bearer " .. token }

local function with_version(v)
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
           ["If-Match"] = '"v' .. v .. '"' }
end

local function point()
  return string.format("lon=%.6f&lat=%.6f", lon + (math.random() - 0.5) * 0.04,
                       lat + (math.random() - 0.5) * 0.04)
end

request = function()
  local s = step % 9
  if s == 0 then
    local p = string.format('{"lon":%.6f,"lat":%.6f,"category":"noise","description":"bench"}',
                            lon + (math.random() - 0.5) * 0.01, lat + (math.random() - 0.5) * 0.01)
    return wrk.format("POST", "/api/v1/petitions", json, p)
  elseif s == 1 and id then
    return wrk.format("POST", "/api/v1/petitions/" .. id .. "/transitions", with_version(1),
                      '{"to":"registered"}')
  elseif s == 2 and id then
    return wrk.format("POST", "/api/v1/petitions/" .. id .. "/transitions", with_version(2),
                      '{"to":"dispatched"}')
  elseif s <= 6 then
    return wrk.format("GET", "/api/v1/locate?" .. point(), read)
  else
    return wrk.format("GET", "/api/v1/petitions?limit=50&status=dispatched", read)
  end
end

response = function(status, headers, body)
  if step % 9 == 0 then
    id = nil
    if status == 201 then id = string.match(body, '"id":(%d+)') end
  end
  step = step + 1
end
