-- The v1 dialect (docs/api/v1.md) under /api/v1/: its own routing table,
-- authentication (API token, access JWT or cookie) and DRF-shaped errors, over the same
-- state as the legacy face. The entry point hands it every path under /api/v1/, so the
-- legacy routes are not slowed by these patterns.
local router = require "tingting_emu.router"
local util = require "tingting_emu.util"
local auth = require "tingting_emu.v1.auth"
local info = require "tingting_emu.v1.info"
local campaigns = require "tingting_emu.v1.campaigns"
local contacts = require "tingting_emu.v1.contacts"
local reports = require "tingting_emu.v1.reports"

local _M = {}

-- Where the docs and the clients disagree on a method, every one of them is served
-- (the reference's open question 3).
local function writes(fn) return { PATCH = fn, POST = fn, PUT = fn } end

local campaign_methods = writes(campaigns.update)
campaign_methods.GET = campaigns.details
campaign_methods.DELETE = campaigns.delete

local attribute_methods = writes(contacts.attributes)
attribute_methods.GET = contacts.attributes

-- Patterns match the path without its trailing slash. `public`: no credentials;
-- `jwt`: a login session (access JWT or cookie), not an API token; `envelope`: errors
-- keep the legacy envelope (OTP).
local ROUTES = {
  { "^/api/v1/auths/login$", { POST = auth.login }, public = true },
  { "^/api/v1/auths/login/refresh$", { POST = auth.refresh }, public = true },
  { "^/api/v1/auths/generate%-api%-keys$", { POST = auth.generate }, jwt = true },
  { "^/api/v1/auths/get%-api%-keys$", { GET = auth.get_token } },
  { "^/api/v1/auths/user%-profile$", { GET = auth.profile } },
  { "^/api/v1/auths/user%-detail$", { GET = auth.profile } },
  { "^/api/v1/auths/send/otp$", { POST = reports.send_otp }, envelope = true },
  { "^/api/v1/auths/list/send%-otps$", { GET = reports.list_otps } },
  { "^/api/v1/dashboard$", { GET = info.dashboard } },
  { "^/api/v1/active%-broker%-phone$", { GET = info.senders } },
  { "^/api/v1/phone%-number/active$", { GET = info.senders } },
  { "^/api/v1/voice%-models$", { GET = info.voices } },
  { "^/api/v1/campaign$", { GET = campaigns.list } },
  { "^/api/v1/campaign/create$", { POST = campaigns.create } },
  { "^/api/v1/campaign/create/(%d+)/message$", writes(campaigns.set_message) },
  { "^/api/v1/campaign/create/(%d+)/detail$", writes(contacts.bulk) },
  { "^/api/v1/campaign/(%d+)/add%-contact$", { POST = contacts.add } },
  { "^/api/v1/campaign/(%d+)/attributes$", attribute_methods },
  { "^/api/v1/campaign/(%d+)$", campaign_methods },
  { "^/api/v1/campaign%-detail/(%d+)$", { GET = contacts.list } },
  { "^/api/v1/phone%-number/update/(%d+)$", writes(contacts.edit_number) },
  { "^/api/v1/phone%-number/delete/(%d+)$", { DELETE = contacts.delete } },
  { "^/api/v1/test%-speak/riri/(%d+)$", { POST = campaigns.test_speak } },
  { "^/api/v1/demo%-call/(%d+)$", { POST = contacts.demo_call } },
  { "^/api/v1/run%-campaign/(%d+)$", { POST = campaigns.run } },
  { "^/api/v1/download/report/(%d+)$", { GET = reports.report, POST = reports.report } },
  { "^/api/v1/download/survey/(%d+)/report$", { GET = reports.survey, POST = reports.survey } },
}

local find_route = router.new(ROUTES)
local allowed = router.allowed

-- Called (inside the entry point's error protection) with ngx.ctx.dialect = "v1".
function _M.process(method, path)
  local route, caps = find_route(path)
  if not route then return util.json(404, { detail = "Not found." }) end
  local kind
  if not route.public then kind = auth.authenticate(route.jwt) end
  local handler = route[2][method] or (method == "HEAD" and route[2].GET)
  if not handler then
    return util.json(405, { detail = string.format('Method "%s" not allowed.', method) },
      { Allow = allowed(route[2]) })
  end
  if route.jwt and kind ~= "jwt" then
    return util.json(403, { detail = "This needs a login session: send the access JWT (as Bearer "
      .. "or the access cookie) from auths/login/, not an API token." })
  end
  if route.envelope then ngx.ctx.dialect = "envelope" end
  return handler({ params = caps, args = ngx.req.get_uri_args(100), method = method, path = path,
    auth = kind })
end

_M.media = campaigns.media

return _M
