-- Accounts: login, refresh, user details and Bearer authentication (SimpleJWT shapes).
local util = require "tingting_emu.util"
local jwt = require "tingting_emu.jwt"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"

local _M = {}

local function issue(token_type, ttl)
  local now = math.floor(ngx.now())
  return jwt.sign(state.keys[token_type], {
    token_type = token_type,
    exp = now + ttl,
    iat = now,
    jti = jwt.new_jti(state.secret),
    user_id = state.USER.id,
  })
end

_M.issue = issue

-- Claims of a valid, unexpired token of the given type, else nil.
local function check(token, token_type)
  local claims = jwt.verify(state.keys[token_type], token)
  if not claims or claims.token_type ~= token_type or claims.user_id ~= state.USER.id then
    return nil
  end
  if ngx.now() >= claims.exp then return nil end
  return claims
end

_M.check = check

function _M.not_provided()
  util.raise(util.json(401, { detail = "Authentication credentials were not provided." },
    { ["WWW-Authenticate"] = 'Bearer realm="api"' }))
end

-- Raises the SimpleJWT 401 unless the request carries a valid access token.
function _M.authenticate()
  local header = ngx.var.http_authorization
  if not header then _M.not_provided() end
  -- SimpleJWT ignores headers it cannot read (another scheme, no token, extra words).
  local token = header:match("^%s*[Bb]earer%s+(%S+)%s*$")
  if not token then _M.not_provided() end
  if not check(token, "access") then
    _M.token_not_valid()
  end
end

-- SimpleJWT's 401 for a bad, expired or wrong-type access token.
function _M.token_not_valid()
  util.raise(util.json(401, {
    detail = "Given token not valid for any token type",
    code = "token_not_valid",
    messages = util.array({ {
      token_class = "AccessToken", token_type = "access",
      message = "Token is invalid or expired",
    } }),
  }, { ["WWW-Authenticate"] = 'Bearer realm="api"' }))
end

function _M.login()
  local body = request.body()
  request.no_unknown(body, { "email", "password" })
  local email = request.string(body, "email", { required = true })
  local password = request.string(body, "password", { required = true })
  local user = state.USER
  if email:lower() ~= user.email or password ~= user.password then
    util.raise(util.fail(401, "No active account found with the given credentials"))
  end
  return util.ok(200, "Successfully logged in", {
    token = {
      refresh = issue("refresh", state.config.refresh_ttl),
      access = issue("access", state.config.access_ttl),
    },
    user_data = { first_name = user.first_name, last_name = user.last_name, email = user.email },
  })
end

function _M.refresh()
  local body = request.body()
  request.no_unknown(body, { "refresh" })
  local token = request.string(body, "refresh", { required = true })
  if not check(token, "refresh") then
    util.raise(util.json(401, { detail = "Token is invalid or expired", code = "token_not_valid" }))
  end
  return util.json(200, { access = issue("access", state.config.access_ttl) })
end

function _M.user_details()
  local u = state.USER
  return util.ok(200, nil, {
    user_details = {
      first_name = u.first_name, last_name = u.last_name, email = u.email,
      username = u.username, is_verified_email = u.is_verified_email,
      contact_number = u.contact_number, is_verified_phone = u.is_verified_phone,
      address = u.address,
    },
  })
end

return _M
