-- The crypto primitives of the core that tingting.otp builds on: SHA-256
-- and HMAC-SHA256 against the published vectors, a constant-time compare,
-- hex, and bytes from the kernel CSPRNG (including what happens when the
-- kernel has no getrandom or it fails, through an LD_PRELOAD shim).
local core = require "tingting.core"

local function unhex(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local function sha(s) return core.hex(core.sha256(s)) end
local function hmac(k, m) return core.hex(core.hmac_sha256(k, m)) end

describe("core.sha256", function()
  it("matches the FIPS 180-4 / NIST example digests", function()
    assert.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha(""))
    assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", sha("abc"))
    assert.equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
    assert.equal("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
      sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
        .. "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))
    assert.equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", sha(("a"):rep(1000000)))
  end)

  it("returns the 32-byte raw digest, not hex", function()
    local d = core.sha256("abc")
    assert.equal(32, #d)
    assert.equal(unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), d)
  end)

  it("pads correctly at every length around the 64-byte block and its 56-byte length field", function()
    -- reference digests from Python's hashlib
    local want = {
      [55] = "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
      [56] = "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
      [57] = "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6",
      [63] = "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
      [64] = "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
      [65] = "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
      [119] = "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
      [120] = "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
      [128] = "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
    }
    for n, digest in pairs(want) do assert.equal(digest, sha(("a"):rep(n)), "length " .. n) end
  end)

  it("hashes every byte of a string with embedded NULs", function()
    assert.equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", sha("\0"))
    assert.equal("59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138", sha("a\0b"))
    assert.not_equal(sha("a"), sha("a\0b"))
  end)
end)

describe("core.hmac_sha256", function()
  -- RFC 4231 section 4
  it("matches RFC 4231 test cases 1 to 4", function()
    assert.equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      hmac(string.char(0x0b):rep(20), "Hi There"))
    assert.equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      hmac("Jefe", "what do ya want for nothing?"))
    assert.equal("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
      hmac(string.char(0xaa):rep(20), string.char(0xdd):rep(50)))
    assert.equal("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
      hmac(unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), string.char(0xcd):rep(50)))
  end)

  it("hashes a key longer than the 64-byte block first (RFC 4231 cases 6 and 7, 131-byte key)", function()
    local key = string.char(0xaa):rep(131)
    assert.equal("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      hmac(key, "Test Using Larger Than Block-Size Key - Hash Key First"))
    assert.equal("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
      hmac(key, "This is a test using a larger than block-size key and a larger than block-size data. "
        .. "The key needs to be hashed before being used by the HMAC algorithm."))
  end)

  it("treats a 64-byte key as a block and a 65-byte key as one to hash", function()
    -- reference values from Python's hmac
    assert.equal("d62ad25bb128e96ab6ef43464aaf2bb91b5b85f013381e9ba6be747e8d0911b2", hmac(("k"):rep(64), "msg"))
    assert.equal("c65585780e821bd312cfaa440c33cb28d6af6b323d4977ae83934834ce589e38", hmac(("k"):rep(65), "msg"))
  end)

  it("accepts an empty key and message, and NUL bytes in both", function()
    assert.equal("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", hmac("", ""))
    assert.equal("d846dc7408aafb0032c18fe477e530dcffc8dd88bd95953f4ea555df894338be", hmac("k\0ey", "m\0sg"))
    assert.not_equal(hmac("k", "m"), hmac("k\0ey", "m"))
    assert.not_equal(hmac("k", "m"), hmac("k", "m\0"))
    assert.equal(32, #core.hmac_sha256("k", "m"))
  end)
end)

describe("core.hex", function()
  it("writes every byte as two lowercase hex digits", function()
    assert.equal("", core.hex(""))
    assert.equal("00ff0a7f80", core.hex("\0\255\n\127\128"))
    assert.equal("616263", core.hex("abc"))
  end)

  it("handles strings longer than the Lua buffer", function()
    local s = {}
    for i = 0, 255 do s[#s + 1] = string.char(i) end
    s = table.concat(s):rep(100)
    local h = core.hex(s)
    assert.equal(2 * #s, #h)
    assert.equal(s, unhex(h))
    assert.is_nil(h:find("[^0-9a-f]"))
  end)
end)

describe("core.equal", function()
  it("is true for identical strings, including empty ones and NUL bytes", function()
    assert.is_true(core.equal("", ""))
    assert.is_true(core.equal("abc", "abc"))
    assert.is_true(core.equal("a\0b", "a\0b"))
    local d = core.sha256("x")
    assert.is_true(core.equal(d, core.sha256("x")))
  end)

  it("is false when any byte differs, wherever it is", function()
    local a = core.sha256("x")
    for i = 1, #a do
      local b = a:sub(1, i - 1) .. string.char((a:byte(i) + 1) % 256) .. a:sub(i + 1)
      assert.is_false(core.equal(a, b), "byte " .. i)
    end
    assert.is_false(core.equal("a\0b", "a\0c"))
    assert.is_false(core.equal("\0", "\1"))
  end)

  it("is false for different lengths, even when one is a prefix of the other", function()
    assert.is_false(core.equal("abc", "abcd"))
    assert.is_false(core.equal("", "a"))
    assert.is_false(core.equal("a", "a\0"))
  end)

  it("takes as long for a difference in the first byte as in the last", function()
    -- A short-circuiting compare (memcmp, ==) is thousands of times faster
    -- on the first; the tolerance only absorbs scheduling noise.
    local a = ("x"):rep(256 * 1024)
    local first, last = "y" .. a:sub(2), a:sub(1, -2) .. "y"
    local function best(b)
      local t = math.huge
      for _ = 1, 3 do
        local t0 = os.clock()
        for _ = 1, 10 do core.equal(a, b) end
        t = math.min(t, os.clock() - t0)
      end
      return math.max(t, 1e-6)
    end
    local tf, tl = best(first), best(last)
    assert.is_true(tf / tl < 4 and tl / tf < 4, ("first %.6f s, last %.6f s"):format(tf, tl))
  end)
end)

describe("core.random_bytes", function()
  it("returns exactly n bytes for n from 1 to 65536", function()
    for _, n in ipairs { 1, 2, 16, 32, 255, 256, 257, 4096, 65536 } do
      local r = assert(core.random_bytes(n))
      assert.equal(n, #r)
    end
    assert.equal(8, #core.random_bytes(8.0))
  end)

  it("gives different bytes on every call", function()
    local a, b = core.random_bytes(32), core.random_bytes(32)
    assert.not_equal(a, b)
    -- and not a run of one value (a zeroed buffer left unfilled)
    local big = core.random_bytes(65536)
    assert.not_equal(("\0"):rep(65536), big)
    local seen = {}
    for i = 1, #big do seen[big:byte(i)] = true end
    local distinct = 0
    for _ in pairs(seen) do distinct = distinct + 1 end
    assert.equal(256, distinct)
  end)

  it("raises for a count that is not an integer from 1 to 65536", function()
    for _, n in ipairs { 0, -1, 65537, 1.5, 0 / 0, math.huge, -math.huge, 2 ^ 53, 2 ^ 63 } do
      assert.has_error(function() core.random_bytes(n) end, nil, tostring(n))
    end
    for _, n in ipairs { "16", {}, true } do
      assert.has_error(function() core.random_bytes(n) end)
    end
    assert.has_error(function() core.random_bytes() end)
  end)
end)

describe("the crypto functions", function()
  it("raise for anything but strings, numbers included", function()
    local fns = {
      sha256 = function(v) return core.sha256(v) end,
      hex = function(v) return core.hex(v) end,
      hmac_key = function(v) return core.hmac_sha256(v, "m") end,
      hmac_msg = function(v) return core.hmac_sha256("k", v) end,
      equal_a = function(v) return core.equal(v, "x") end,
      equal_b = function(v) return core.equal("x", v) end,
    }
    for name, f in pairs(fns) do
      for _, v in ipairs { 123456, 1.5, {}, true, print, io.stdout } do
        assert.has_error(function() f(v) end, nil, name .. " " .. tostring(v))
      end
      assert.has_error(function() f(nil) end, nil, name .. " nil")
    end
  end)

  it("name the bad argument in the error", function()
    local ok, err = pcall(core.hmac_sha256, "k", 42)
    assert.is_false(ok)
    assert.truthy(err:find("#2", 1, true) and err:find("string expected, got number", 1, true), err)
    ok, err = pcall(core.random_bytes, 0)
    assert.is_false(ok)
    assert.truthy(err:find("1 to 65536", 1, true), err)
  end)
end)

-- The kernel's getrandom made to fail through an LD_PRELOAD shim of
-- syscall(2), in a child lua5.4 that loads the same core as this run.
describe("core.random_bytes when getrandom misbehaves", function()
  local shim
  local SHIM_C = [[
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
long syscall(long nr, ...) {
  static long (*real)(long, ...);
  static int calls;
  const char *mode = getenv("TT_SHIM_GETRANDOM");
  long a[6];
  int i;
  va_list ap;
  va_start(ap, nr);
  for (i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  if (nr == SYS_getrandom && mode) {
    calls++;
    if (!strcmp(mode, "enosys")) { errno = ENOSYS; return -1; }
    if (!strcmp(mode, "eio")) { errno = EIO; return -1; }
    if (!strcmp(mode, "choppy")) { /* EINTR, then 3 bytes at a time */
      if (calls % 2) { errno = EINTR; return -1; }
      if (a[1] > 3) a[1] = 3;
    }
  }
  return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
]]

  setup(function()
    if _VERSION ~= "Lua 5.4" or not os.execute("command -v cc >/dev/null 2>&1") then return end
    local base = os.tmpname()
    local f = assert(io.open(base .. ".c", "w"))
    f:write(SHIM_C)
    f:close()
    if os.execute(("cc -shared -fPIC -o %s.so %s.c -ldl 2>/dev/null"):format(base, base)) then
      shim = base .. ".so"
    end
    os.remove(base .. ".c")
    os.remove(base)
  end)

  teardown(function()
    if shim then os.remove(shim) end
  end)

  -- Runs `code` (which prints its answer) in a child with the shim in `mode`.
  local function child(mode, code)
    local preload = ((os.getenv("LD_PRELOAD") or "") .. " " .. shim):gsub("^ ", "")
    local script = ("package.cpath = %q; local core = require 'tingting.core'; %s"):format(package.cpath, code)
    local p = assert(io.popen(("TT_SHIM_GETRANDOM=%s LD_PRELOAD='%s' lua5.4 -e %q 2>&1")
      :format(mode, preload, script)))
    local out = p:read("a")
    p:close()
    return out
  end

  it("falls back to /dev/urandom on a kernel without getrandom (ENOSYS)", function()
    if not shim then return pending("needs Lua 5.4 and a C compiler") end
    local out = child("enosys", "local a, b = core.random_bytes(64), core.random_bytes(64); "
      .. "print(#a, #b, a ~= b)")
    assert.equal("64\t64\ttrue\n", out)
  end)

  it("keeps reading through EINTR and short reads until it has every byte", function()
    if not shim then return pending("needs Lua 5.4 and a C compiler") end
    local out = child("choppy", "local r = core.random_bytes(1000); print(#r, r ~= ('\\0'):rep(1000))")
    assert.equal("1000\ttrue\n", out)
  end)

  it("returns nil and a message, never weaker bytes, when getrandom fails", function()
    if not shim then return pending("needs Lua 5.4 and a C compiler") end
    local out = child("eio", "print(core.random_bytes(16))")
    assert.equal("nil\trandom_bytes: getrandom: Input/output error\n", out)
  end)
end)
