-- SimpleJWT-shaped HS256 tokens. HMAC-SHA256 comes from the libcrypto that nginx
-- already links, through LuaJIT's FFI.
local ffi = require "ffi"
local util = require "tingting_emu.util"

local _M = {}

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
]]

local function find_crypto()
  if pcall(function() return ffi.C.HMAC end) then return ffi.C end
  for _, name in ipairs({ "crypto", "libcrypto.so.3", "libcrypto.so.1.1" }) do
    local ok, lib = pcall(ffi.load, name)
    if ok then return lib end
  end
  error("libcrypto not found: install libssl3")
end

local crypto = find_crypto()
local md_buf = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")

function _M.hmac_sha256(key, data)
  crypto.HMAC(crypto.EVP_sha256(), key, #key, data, #data, md_buf, md_len)
  return ffi.string(md_buf, md_len[0])
end

function _M.b64url(s)
  return (ngx.encode_base64(s, true):gsub("[+/]", { ["+"] = "-", ["/"] = "_" }))
end

function _M.b64url_decode(s)
  if s:find("[^%w%-_]") then return nil end
  s = s:gsub("[-_]", { ["-"] = "+", ["_"] = "/" })
  s = s .. string.rep("=", (4 - #s % 4) % 4)
  return ngx.decode_base64(s)
end

local HEADER = '{"alg":"HS256","typ":"JWT"}'
local jti_counter = 0

function _M.sign(secret, claims)
  local signing_input = _M.b64url(HEADER) .. "." .. _M.b64url(util.encode(claims))
  return signing_input .. "." .. _M.b64url(_M.hmac_sha256(secret, signing_input))
end

function _M.new_jti(secret)
  jti_counter = jti_counter + 1
  return util.hex(_M.hmac_sha256(secret, "jti:" .. jti_counter .. ":" .. ngx.now())):sub(1, 32)
end

local function verify(secret, token)
  local h, p, s = token:match("^([%w%-_]+)%.([%w%-_]+)%.([%w%-_]+)$")
  if not h then return nil end
  local sig = _M.b64url_decode(s)
  if sig ~= _M.hmac_sha256(secret, h .. "." .. p) then return nil end
  local header = util.decode(_M.b64url_decode(h) or "")
  if type(header) ~= "table" or header.alg ~= "HS256" then return nil end
  local claims = util.decode(_M.b64url_decode(p) or "")
  if type(claims) ~= "table" or type(claims.exp) ~= "number" then return nil end
  return claims
end

-- Tokens found valid, per signing secret: what verify says depends on the
-- secret and the token alone, and checking them again was a third of the
-- time the emulator spent on an authenticated request. Expiry, type and user
-- are still the caller's to check, on every request. At most 1,000 tokens
-- and 8 secrets (access and refresh tokens have a key each) are kept.
local valid, nvalid, nsecrets = {}, 0, 0

-- Returns the claims of a well-formed token with a valid signature, else nil.
-- Expiry and token type are the caller's business.
function _M.verify(secret, token)
  if type(token) ~= "string" then return nil end
  local cache = valid[secret]
  if not cache then
    if nsecrets >= 8 then valid, nvalid, nsecrets = {}, 0, 0 end
    cache, nsecrets = {}, nsecrets + 1
    valid[secret] = cache
  end
  local claims = cache[token]
  if claims then return claims end
  claims = verify(secret, token)
  if claims then
    if nvalid >= 1000 then
      valid, nvalid, nsecrets = { [secret] = {} }, 0, 1
      cache = valid[secret]
    end
    cache[token], nvalid = claims, nvalid + 1
  end
  return claims
end

return _M
