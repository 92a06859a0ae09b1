/* The few crypto primitives tingting.otp needs, without a crypto library
 * (the core links libcurl only): SHA-256 (FIPS 180-4), HMAC-SHA256
 * (RFC 2104), bytes from the kernel CSPRNG, a constant-time compare and hex.
 * None of them blocks (getrandom only waits for the pool's first seeding at
 * boot), so they are safe inside nginx.
 *
 * Every byte-string argument must be a Lua string: a number is refused
 * rather than converted, because 5.4 and LuaJIT convert the same code to
 * different text ("123456.0" vs "123456"), and an OTP hashed on one side
 * would never verify on the other. Embedded NULs are data. */

/* syscall() and SYS_getrandom: the Makefile's _POSIX_C_SOURCE hides them,
 * and calling the syscall directly also works on a glibc older than 2.25
 * (no <sys/random.h>) and on musl. */
#define _DEFAULT_SOURCE 1

#include "tingting.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#define TT_RANDOM_MAX 65536

/* ---- SHA-256 ---- */

typedef struct sha256_ctx {
  uint32_t h[8];
  uint64_t bytes; /* message length so far */
  unsigned char buf[64];
  size_t used; /* bytes waiting in buf */
} sha256_ctx;

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p) {
  uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
  int i;
  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (i = 16; i < 64; i++) {
    uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (i = 0; i < 64; i++) {
    t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256_init(sha256_ctx *c) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof iv);
  c->bytes = 0;
  c->used = 0;
}

static void sha256_update(sha256_ctx *c, const unsigned char *p, size_t len) {
  c->bytes += len;
  if (c->used > 0) {
    size_t take = 64 - c->used < len ? 64 - c->used : len;
    memcpy(c->buf + c->used, p, take);
    c->used += take, p += take, len -= take;
    if (c->used < 64) return;
    sha256_block(c->h, c->buf);
    c->used = 0;
  }
  for (; len >= 64; p += 64, len -= 64) sha256_block(c->h, p);
  if (len > 0) memcpy(c->buf, p, len);
  c->used = len;
}

static void sha256_final(sha256_ctx *c, unsigned char out[32]) {
  uint64_t bits = c->bytes * 8;
  int i;
  c->buf[c->used++] = 0x80;
  if (c->used > 56) {
    memset(c->buf + c->used, 0, 64 - c->used);
    sha256_block(c->h, c->buf);
    c->used = 0;
  }
  memset(c->buf + c->used, 0, 56 - c->used);
  for (i = 0; i < 8; i++) c->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
  sha256_block(c->h, c->buf);
  for (i = 0; i < 32; i++) out[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Key material must not linger on the stack; a plain memset of a dead
 * buffer may be optimised away, a write through volatile may not. */
static void wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n--) *v++ = 0;
}

static void hmac_sha256(const unsigned char *key, size_t klen, const unsigned char *msg,
                        size_t mlen, unsigned char out[32]) {
  unsigned char block[64], inner[32];
  sha256_ctx c;
  int i;
  memset(block, 0, sizeof block);
  if (klen > 64) {
    sha256_init(&c);
    sha256_update(&c, key, klen);
    sha256_final(&c, block);
  } else if (klen > 0) {
    memcpy(block, key, klen);
  }
  for (i = 0; i < 64; i++) block[i] ^= 0x36;
  sha256_init(&c);
  sha256_update(&c, block, 64);
  sha256_update(&c, msg, mlen);
  sha256_final(&c, inner);
  for (i = 0; i < 64; i++) block[i] ^= 0x36 ^ 0x5c;
  sha256_init(&c);
  sha256_update(&c, block, 64);
  sha256_update(&c, inner, 32);
  sha256_final(&c, out);
  wipe(block, sizeof block);
  wipe(inner, sizeof inner);
  wipe(&c, sizeof c);
}

/* ---- Lua functions ---- */

/* A string argument, with its length; anything else (numbers too) raises. */
static const unsigned char *check_bytes(lua_State *L, int i, size_t *len) {
  if (lua_type(L, i) != LUA_TSTRING)
    luaL_argerror(L, i, lua_pushfstring(L, "string expected, got %s", luaL_typename(L, i)));
  return (const unsigned char *)lua_tolstring(L, i, len);
}

/* core.sha256(s) -> 32-byte raw digest */
static int core_sha256(lua_State *L) {
  size_t len;
  const unsigned char *s = check_bytes(L, 1, &len);
  unsigned char out[32];
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, s, len);
  sha256_final(&c, out);
  lua_pushlstring(L, (const char *)out, sizeof out);
  return 1;
}

/* core.hmac_sha256(key, msg) -> 32-byte raw MAC. As RFC 2104 pads the key
 * with zeros to the block, keys of up to 64 bytes that differ only by
 * trailing NULs give the same MAC: use random keys of a fixed length. */
static int core_hmac_sha256(lua_State *L) {
  size_t klen, mlen;
  const unsigned char *key = check_bytes(L, 1, &klen);
  const unsigned char *msg = check_bytes(L, 2, &mlen);
  unsigned char out[32];
  hmac_sha256(key, klen, msg, mlen, out);
  lua_pushlstring(L, (const char *)out, sizeof out);
  return 1;
}

/* core.equal(a, b) -> boolean. For strings of equal length the time does
 * not depend on their contents or where they differ; different lengths
 * return false at once (the length is not secret: callers compare MACs). */
static int core_equal(lua_State *L) {
  size_t alen, blen, i;
  const unsigned char *a = check_bytes(L, 1, &alen);
  const unsigned char *b = check_bytes(L, 2, &blen);
  /* volatile: the compiler may not turn the loop into an early exit */
  const volatile unsigned char *va = a, *vb = b;
  unsigned d = 0;
  if (alen != blen) {
    lua_pushboolean(L, 0);
    return 1;
  }
  for (i = 0; i < alen; i++) d |= (unsigned)(va[i] ^ vb[i]);
  lua_pushboolean(L, (int)(1u & ((d - 1u) >> 8)));
  return 1;
}

/* core.hex(s) -> lowercase hex */
static int core_hex(lua_State *L) {
  static const char digits[] = "0123456789abcdef";
  size_t len, i = 0;
  const unsigned char *s = check_bytes(L, 1, &len);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (i < len) {
    char *p = luaL_prepbuffer(&b);
    size_t half = (size_t)LUAL_BUFFERSIZE / 2, n = len - i < half ? len - i : half, j;
    for (j = 0; j < n; j++, i++) {
      p[2 * j] = digits[s[i] >> 4];
      p[2 * j + 1] = digits[s[i] & 15];
    }
    luaL_addsize(&b, 2 * n);
  }
  luaL_pushresult(&b);
  return 1;
}

/* Fill buf from /dev/urandom: the fallback for kernels without getrandom
 * (before 3.17). 0 = ok, else -1 with errno set. */
static int read_urandom(unsigned char *buf, size_t n) {
  struct stat st;
  size_t off = 0;
  int fd, e;
  do fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -1;
  /* a regular file planted in a chroot is not a source of randomness */
  if (fstat(fd, &st) != 0) goto fail;
  if (!S_ISCHR(st.st_mode)) {
    errno = ENODEV;
    goto fail;
  }
  while (off < n) {
    ssize_t r = read(fd, buf + off, n - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = EIO;
      goto fail;
    }
    off += (size_t)r;
  }
  close(fd);
  return 0;
fail:
  e = errno;
  close(fd);
  errno = e;
  return -1;
}

/* Fill buf from the kernel CSPRNG. 0 = ok; else -1 with errno set and
 * *what naming the source that failed. */
static int get_random(unsigned char *buf, size_t n, const char **what) {
#if defined(SYS_getrandom)
  size_t off = 0;
  *what = "getrandom";
  while (off < n) {
    /* flags 0: /dev/urandom's pool, waiting only until it is first seeded
     * at boot, so the bytes are never weak and it never blocks afterwards */
    long r = syscall(SYS_getrandom, buf + off, n - off, 0u);
    if (r < 0) {
      if (errno == EINTR) continue;
      /* ENOSYS: kernel before 3.17; EPERM: a seccomp filter (older Docker
       * profiles) that does not know the syscall */
      if (off == 0 && (errno == ENOSYS || errno == EPERM)) goto fallback;
      return -1;
    }
    off += (size_t)r;
  }
  return 0;
fallback:
#endif
  *what = "/dev/urandom";
  return read_urandom(buf, n);
}

/* core.random_bytes(n) -> n bytes from the kernel CSPRNG | nil, err.
 * n: integer 1..65536. Never weak bytes: no fallback to rand(). */
static int core_random_bytes(lua_State *L) {
  lua_Number v;
  size_t n;
  unsigned char *buf;
  const char *what = "random";
  if (lua_type(L, 1) != LUA_TNUMBER)
    return luaL_argerror(L, 1, lua_pushfstring(L, "integer expected, got %s", luaL_typename(L, 1)));
  v = lua_tonumber(L, 1);
  if (!(v >= 1 && v <= TT_RANDOM_MAX && v == (lua_Number)(long)v))
    return luaL_argerror(L, 1, "must be an integer from 1 to 65536");
  n = (size_t)v;
  /* scratch owned by Lua, so nothing leaks if pushing the result fails */
  buf = (unsigned char *)lua_newuserdata(L, n);
  if (get_random(buf, n, &what) != 0) {
    int e = errno;
    lua_pushnil(L);
    lua_pushfstring(L, "random_bytes: %s: %s", what, strerror(e));
    return 2;
  }
  lua_pushlstring(L, (const char *)buf, n);
  wipe(buf, n);
  return 1;
}

void tt_crypto_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"sha256", core_sha256}, {"hmac_sha256", core_hmac_sha256},
                                 {"random_bytes", core_random_bytes}, {"equal", core_equal},
                                 {"hex", core_hex}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
