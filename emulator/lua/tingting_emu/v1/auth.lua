-- v1 accounts: login (tokens as HttpOnly cookies), refresh (cookie or JSON body), API
-- tokens, the user profile, and authentication by API token, access JWT or cookie.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local jwt = require "tingting_emu.jwt"
local auth = require "tingting_emu.auth"
local request = require "tingting_emu.request"
local common = require "tingting_emu.v1.common"

local _M = {}

local function http_date(t)
  return os.date("!%a, %d %b %Y %H:%M:%S GMT", t)
end

-- The cookies are Secure only when the request came over https (directly or through a
-- proxy that says so): a client on plain-http loopback would not send them back.
local function cookie(name, value, ttl)
  local secure = ngx.var.scheme == "https"
    or (ngx.var.http_x_forwarded_proto or ""):match("^%s*https") ~= nil
  return string.format("%s=%s; Expires=%s; Max-Age=%d; Path=/; HttpOnly; SameSite=Lax%s",
    name, value, http_date(math.floor(ngx.now()) + ttl), ttl, secure and "; Secure" or "")
end

local function access_cookie()
  return cookie("access", auth.issue("access", state.config.access_ttl), state.config.access_ttl)
end

local function refresh_cookie()
  return cookie("refresh", auth.issue("refresh", state.config.refresh_ttl), state.config.refresh_ttl)
end

-- Authentication ----------------------------------------------------------------------

local function invalid_api_token()
  util.raise(util.json(401, { detail = "Invalid token." },
    { ["WWW-Authenticate"] = 'Bearer realm="api"' }))
end

-- Accepts `Authorization: Bearer <API token | access JWT>` or the `access` cookie: any
-- valid one is enough. Returns "api_token" or "jwt" (with want_jwt, a valid JWT is
-- preferred to a valid API token); raises the 401 of the first credential offered when
-- none is valid, "not provided" when none was offered.
function _M.authenticate(want_jwt)
  local failed, api_ok
  local header = ngx.var.http_authorization
  if header then
    local token = header:match("^%s*[Bb]earer%s+(%S+)%s*$")
    if token then
      if token:find(".", 1, true) then
        if auth.check(token, "access") then return "jwt" end
        failed = "jwt"
      else
        local rec = state.api_tokens[token]
        if rec and rec == state.api_token then
          rec.last_used = ngx.now()
          if not want_jwt then return "api_token" end
          api_ok = true
        else
          failed = "api_token"
        end
      end
    end
  end
  local c = ngx.var.cookie_access
  if c and c ~= "" then
    if auth.check(c, "access") then return "jwt" end
    failed = failed or "jwt"
  end
  if api_ok then return "api_token" end
  if failed == "jwt" then auth.token_not_valid() end
  if failed == "api_token" then invalid_api_token() end
  auth.not_provided()
end

-- Login and refresh ------------------------------------------------------------------

function _M.login()
  local body = common.body()
  local email = request.string(body, "email", { required = true })
  local password = request.string(body, "password", { required = true })
  local user = state.USER
  if email:lower() ~= user.email or password ~= user.password then
    util.raise(util.json(401, { detail = "No active account found with the given credentials" }))
  end
  return util.json(200, { has_logged_in = true, message = "Login Successful" },
    { ["Set-Cookie"] = { access_cookie(), refresh_cookie() } })
end

-- The docs' answers: 400 {"message"} without a token, 401 {"message"} for a token that
-- is bad, expired or not a refresh token, 400/401 {"detail"} for a foreign payload.
function _M.refresh()
  local body = common.body()
  local token = body.refresh
  if not (type(token) == "string" and token ~= "") then token = ngx.var.cookie_refresh end
  if not token or token == "" then
    util.raise(util.json(400, { message = "No refresh token provided" }))
  end
  local claims = jwt.verify(state.keys.refresh, token)
  if not claims or claims.token_type ~= "refresh" or ngx.now() >= claims.exp then
    util.raise(util.json(401, { message = "Failed To Refresh The Session" }))
  end
  if claims.user_id == nil then util.raise(util.json(400, { detail = "Invalid token payload." })) end
  if claims.user_id ~= state.USER.id then
    util.raise(util.json(401, { detail = "Account is not activated." }))
  end
  return util.json(200, { message = "Session Refreshed Successfully" },
    { ["Set-Cookie"] = access_cookie() })
end

-- API tokens -------------------------------------------------------------------------

local generated = 0

-- A new API token for the seeded user; the one in force before is soft-deleted.
function _M.new_api_token()
  generated = generated + 1
  local now = ngx.now()
  local token = util.hex(jwt.hmac_sha256(state.secret, string.format("api-token:%d:%.6f",
    generated, now)))
  if state.api_token then state.api_token.deleted = now end
  local rec = { token = token, created = now }
  state.api_tokens[token] = rec
  state.api_token = rec
  return rec
end

function _M.revoke_api_token()
  local rec = state.api_token
  if rec then rec.deleted = ngx.now() end
  state.api_token = nil
  return rec ~= nil
end

function _M.token_view(rec)
  return { token = rec.token, last_used = rec.last_used and common.utc_ms(rec.last_used) or util.null,
    created_at = common.utc_ms(rec.created) }
end

function _M.generate()
  local rec = _M.new_api_token()
  return util.json(200, { token = rec.token, message = "New API token generated successfully" })
end

function _M.get_token()
  local rec = state.api_token
  if not rec then
    util.raise(util.json(404, { message = "No API token found. Please generate one first." }))
  end
  return util.json(200, _M.token_view(rec))
end

-- Profile ------------------------------------------------------------------------------

function _M.profile()
  local u = state.USER
  return util.json(200, {
    id = u.id,
    user = { first_name = u.first_name, last_name = u.last_name, username = u.username,
      email = u.email },
    profile_picture = util.null,
    contact_no = u.contact_number, address = u.address, is_verified_contact = u.is_verified_phone,
  })
end

return _M
