/* core.xlsx_open(path, columns) -> writer: a worksheet written row by row in
 * libxlsxwriter's constant-memory mode, so a million-row recipient list
 * costs one row of memory. The caller owns the path (a private temporary
 * file); w:close() writes the zip, w:abort() (and __gc) drop it unwritten. */
#include "tingting.h"
#include "util.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#define TT_XLSX_MT "tingting.xlsx"
/* Excel's own sheet size: the header row plus this many data rows. */
#define MAX_ROWS 1048576u
#define MAX_COLS 1024
#define MAX_CELL 32767 /* characters Excel keeps in one cell */

typedef struct xlsx_writer {
  lxw_workbook *wb;
  lxw_worksheet *ws;
  lxw_row_t row;
  lxw_col_t cols;
} xlsx_writer;

static xlsx_writer *check_open(lua_State *L) {
  xlsx_writer *w = (xlsx_writer *)luaL_checkudata(L, 1, TT_XLSX_MT);
  if (w->wb == NULL) luaL_error(L, "tingting.xlsx: the writer is closed");
  return w;
}

static int fail(lua_State *L, const char *what, lxw_error e) {
  lua_pushnil(L);
  lua_pushfstring(L, "xlsx: %s: %s", what, lxw_strerror(e));
  return 2;
}

static lxw_error write_cell(lua_State *L, xlsx_writer *w, lxw_col_t col, int idx) {
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    return LXW_NO_ERROR;
  case LUA_TNUMBER: {
    double v = (double)lua_tonumber(L, idx);
    if (!isfinite(v)) luaL_error(L, "tingting.xlsx: row %d, column %d: not a finite number", (int)w->row, (int)col + 1);
    return worksheet_write_number(w->ws, w->row, col, v, NULL);
  }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (n > MAX_CELL * 4u || memchr(s, '\0', n) != NULL)
      luaL_error(L, "tingting.xlsx: row %d, column %d: text too long or with a NUL byte", (int)w->row, (int)col + 1);
    return worksheet_write_string(w->ws, w->row, col, s, NULL);
  }
  default:
    return (lxw_error)luaL_error(L, "tingting.xlsx: row %d, column %d: expected a string or a number (got %s)",
                                 (int)w->row, (int)col + 1, luaL_typename(L, idx));
  }
}

/* w:row(values): values[i] goes under column i; nil leaves the cell empty.
 * Returns true, or nil, err (a full sheet, a failed write). */
static int xlsx_row(lua_State *L) {
  xlsx_writer *w = check_open(L);
  lxw_col_t c;
  luaL_checktype(L, 2, LUA_TTABLE);
  if (w->row >= MAX_ROWS) {
    lua_pushnil(L);
    lua_pushfstring(L, "xlsx: a sheet holds at most %d rows of numbers", (int)(MAX_ROWS - 1));
    return 2;
  }
  for (c = 0; c < w->cols; c++) {
    lxw_error e;
    lua_rawgeti(L, 2, (int)c + 1);
    e = write_cell(L, w, c, -1);
    lua_pop(L, 1);
    if (e != LXW_NO_ERROR) return fail(L, "writing a row", e);
  }
  w->row++;
  lua_pushboolean(L, 1);
  return 1;
}

/* w:rows() -> data rows written so far (the header not counted) */
static int xlsx_rows(lua_State *L) {
  xlsx_writer *w = (xlsx_writer *)luaL_checkudata(L, 1, TT_XLSX_MT);
  lua_pushinteger(L, w->row > 0 ? (lua_Integer)w->row - 1 : 0);
  return 1;
}

/* w:close() -> true | nil, err: writes the file. Idempotent. */
static int xlsx_close(lua_State *L) {
  xlsx_writer *w = (xlsx_writer *)luaL_checkudata(L, 1, TT_XLSX_MT);
  lxw_error e;
  if (w->wb == NULL) {
    lua_pushboolean(L, 1);
    return 1;
  }
  e = workbook_close(w->wb); /* frees the workbook whatever it returns */
  w->wb = NULL;
  w->ws = NULL;
  if (e != LXW_NO_ERROR) return fail(L, "writing the file", e);
  lua_pushboolean(L, 1);
  return 1;
}

/* w:abort() and __gc: free without writing (an error or a dropped writer). */
static int xlsx_abort(lua_State *L) {
  xlsx_writer *w = (xlsx_writer *)luaL_checkudata(L, 1, TT_XLSX_MT);
  if (w->wb != NULL) lxw_workbook_free(w->wb);
  w->wb = NULL;
  w->ws = NULL;
  return 0;
}

static int xlsx_tostring(lua_State *L) {
  xlsx_writer *w = (xlsx_writer *)luaL_checkudata(L, 1, TT_XLSX_MT);
  lua_pushfstring(L, "tingting.xlsx{rows=%d%s}", w->row > 0 ? (int)w->row - 1 : 0, w->wb ? "" : ", closed");
  return 1;
}

static int core_xlsx_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lxw_workbook_options opt;
  xlsx_writer *w;
  int n, i;
  luaL_checktype(L, 2, LUA_TTABLE);
  n = (int)lua_rawlen(L, 2);
  if (n < 1 || n > MAX_COLS) return luaL_argerror(L, 2, "expected 1 to 1024 column names");
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 2, i);
    if (lua_type(L, -1) != LUA_TSTRING) return luaL_argerror(L, 2, "column names must be strings");
    lua_pop(L, 1);
  }
  w = (xlsx_writer *)tt_newuserdata(L, sizeof *w);
  memset(w, 0, sizeof *w);
  luaL_setmetatable(L, TT_XLSX_MT);
  memset(&opt, 0, sizeof opt);
  opt.constant_memory = LXW_TRUE;
  opt.use_zip64 = LXW_TRUE;
  w->wb = workbook_new_opt(path, &opt);
  if (w->wb == NULL) {
    lua_pushnil(L);
    lua_pushfstring(L, "xlsx: cannot create a workbook at %s", path);
    return 2;
  }
  w->ws = workbook_add_worksheet(w->wb, NULL);
  if (w->ws == NULL) {
    lxw_workbook_free(w->wb);
    w->wb = NULL;
    lua_pushnil(L);
    lua_pushliteral(L, "xlsx: cannot add a worksheet");
    return 2;
  }
  w->cols = (lxw_col_t)n;
  for (i = 0; i < n; i++) {
    lxw_error e;
    lua_rawgeti(L, 2, i + 1);
    e = worksheet_write_string(w->ws, 0, (lxw_col_t)i, lua_tostring(L, -1), NULL);
    lua_pop(L, 1);
    if (e != LXW_NO_ERROR) {
      lxw_workbook_free(w->wb);
      w->wb = NULL;
      return fail(L, "writing the header", e);
    }
  }
  w->row = 1;
  return 1;
}

void tt_xlsx_open(lua_State *L) {
  static const luaL_Reg mm[] = {{"__gc", xlsx_abort}, {"__close", xlsx_abort}, {"__tostring", xlsx_tostring},
                                {NULL, NULL}};
  static const luaL_Reg methods[] = {{"row", xlsx_row}, {"rows", xlsx_rows}, {"close", xlsx_close},
                                     {"abort", xlsx_abort}, {NULL, NULL}};
  tt_class_with(L, TT_XLSX_MT, mm, methods);
  lua_pushcfunction(L, core_xlsx_open);
  lua_setfield(L, -2, "xlsx_open");
}
