/* Small OS helpers the Lua side cannot do portably: write a private file
 * atomically (tokens: mode 0600, never a half-written file), and ask whether
 * a stream is a terminal (the CLI's progress bar). */
#include "tingting.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* core.write_private(path, data) -> true | nil, err */
static int core_write_private(lua_State *L) {
  size_t plen, len, off = 0;
  const char *path = luaL_checklstring(L, 1, &plen);
  const char *data = luaL_checklstring(L, 2, &len);
  const char *tmp;
  int fd;
  if (plen == 0 || memchr(path, '\0', plen) != NULL) return luaL_argerror(L, 1, "bad path");
  tmp = lua_pushfstring(L, "%s.%d.tmp", path, (int)getpid());
  /* A file of ours left by a crash goes first; then the name is created
   * anew, never opened through a link planted there (O_EXCL fails on one). */
  unlink(tmp);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) goto fail;
  /* a umask or an earlier file must not widen the mode */
  if (fchmod(fd, 0600) != 0) goto fail_fd;
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      goto fail_fd;
    }
    off += (size_t)n;
  }
  if (fsync(fd) != 0) goto fail_fd;
  if (close(fd) != 0) {
    fd = -1;
    goto fail_unlink;
  }
  if (rename(tmp, path) != 0) goto fail_unlink;
  lua_pushboolean(L, 1);
  return 1;
fail_fd:
  {
    int e = errno;
    close(fd);
    errno = e;
  }
fail_unlink:
  {
    int e = errno;
    unlink(tmp);
    errno = e;
  }
fail:
  lua_pushnil(L);
  lua_pushfstring(L, "%s: %s", path, strerror(errno));
  return 2;
}

/* core.create_private(path) -> true | nil, err: an empty file of mode 0600
 * that did not exist (a link or a file already there is refused), for a
 * temporary file that another library then writes by name. */
static int core_create_private(lua_State *L) {
  size_t plen;
  const char *path = luaL_checklstring(L, 1, &plen);
  int fd;
  if (plen == 0 || memchr(path, '\0', plen) != NULL) return luaL_argerror(L, 1, "bad path");
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || fchmod(fd, 0600) != 0) {
    int e = errno;
    if (fd >= 0) {
      close(fd);
      unlink(path);
    }
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    return 2;
  }
  close(fd);
  lua_pushboolean(L, 1);
  return 1;
}

/* core.isatty(file_or_fd) -> boolean: 0, 1, 2 or io.stdout etc. */
static int core_isatty(lua_State *L) {
  int fd = -1;
  if (lua_type(L, 1) == LUA_TNUMBER) {
    fd = (int)lua_tointeger(L, 1);
  } else {
    FILE **f = (FILE **)luaL_testudata(L, 1, LUA_FILEHANDLE);
    if (f != NULL && *f != NULL) fd = fileno(*f);
  }
  lua_pushboolean(L, fd >= 0 && isatty(fd));
  return 1;
}

void tt_fsutil_open(lua_State *L) {
  static const luaL_Reg fns[] = {
    {"write_private", core_write_private}, {"create_private", core_create_private}, {"isatty", core_isatty}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
