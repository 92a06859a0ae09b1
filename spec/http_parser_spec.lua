-- core.http_response: the cosocket transport's sans-IO HTTP/1.1 answer
-- parser (csrc/http.c over http-parser), fed bytes as a socket would.
-- Plain Lua; runs on 5.4, 5.3, 5.1 and LuaJIT (make test-compat).
local core = require "tingting.core"

-- Feed `chunks` (a string, or a list; nil in the list is the peer closing).
local function parse(chunks, max_body, sink)
  local p = core.http_response(max_body, sink)
  if type(chunks) == "string" then chunks = { chunks } end
  local done, err, code
  for i = 1, #chunks + (chunks.eof and 1 or 0) do
    done, err, code = p:feed(chunks[i])
    if done == nil or done then break end
  end
  return p, done, err, code
end

-- The same answer fed in two pieces at every boundary, then byte by byte:
-- always the same result.
local function every_split(text, check, eof)
  for i = 0, #text do
    local pieces = { text:sub(1, i), text:sub(i + 1) }
    pieces.eof = eof
    if eof then pieces[3] = nil end
    local p, done = parse(pieces)
    check(p, done, "split at " .. i)
  end
  local bytes = {}
  for i = 1, #text do bytes[i] = text:sub(i, i) end
  bytes.eof = eof
  local p, done = parse(bytes)
  check(p, done, "byte by byte")
end

describe("core.http_response", function()
  it("reads a Content-Length body and keeps the connection", function()
    local p, done = parse("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
      .. '{"ok":true}')
    assert.is_true(done)
    assert.equal(201, p:status())
    assert.equal('{"ok":true}', p:body())
    assert.equal("application/json", p:headers()["content-type"])
    assert.is_true(p:keepalive())
  end)

  it("is not done until the whole body is in", function()
    local p = core.http_response()
    assert.is_false(p:feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"))
    assert.equal(200, p:status())
    assert.is_false(p:done())
    assert.is_true(p:feed("cd"))
    assert.equal("abcd", p:body())
  end)

  it("reads chunked bodies with chunk extensions and trailers, split at every byte", function()
    local text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
      .. "5;name=value;quoted=\"a b\"\r\nhello\r\n" .. "1;x\r\n,\r\n" .. "6\r\n world\r\n"
      .. "0;last=1\r\nX-Checksum: 42\r\nX-Other: yes\r\n\r\n"
    every_split(text, function(p, done, where)
      assert.is_true(done, where)
      assert.equal("hello, world", p:body(), where)
      assert.equal("chunked", p:headers()["transfer-encoding"], where)
      assert.is_nil(p:headers()["x-checksum"], where) -- trailers are not headers
      assert.same({ ["x-checksum"] = "42", ["x-other"] = "yes" }, p:trailers(), where)
      assert.is_true(p:keepalive(), where)
    end)
  end)

  it("reads Content-Length bodies split at every byte", function()
    local text = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-A: 1\r\n\r\n0123456789"
    every_split(text, function(p, done, where)
      assert.is_true(done, where)
      assert.equal("0123456789", p:body(), where)
      assert.equal("1", p:headers()["x-a"], where)
    end)
  end)

  it("reads a body without length until the server closes, and then keeps nothing", function()
    local text = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\nid,number\r\n1,9843818700\r\n"
    every_split(text, function(p, done, where)
      assert.is_true(done, where)
      assert.equal("id,number\r\n1,9843818700\r\n", p:body(), where)
      assert.is_false(p:keepalive(), where)
    end, true)
    local p, done = parse("HTTP/1.0 200 OK\r\n\r\nold")
    assert.is_false(done) -- more may come
    assert.is_true(p:feed(nil))
    assert.equal("old", p:body())
    assert.is_false(p:keepalive())
  end)

  it("skips 1xx interim answers and their headers", function()
    local text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
      .. "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    every_split(text, function(p, done, where)
      assert.is_true(done, where)
      assert.equal(200, p:status(), where)
      assert.equal("ok", p:body(), where)
      assert.is_nil(p:headers().link, where)
    end)
  end)

  it("reads no body after 204 or 304, whatever Content-Length says", function()
    for _, status in ipairs { "204 No Content", "304 Not Modified" } do
      local p, done = parse("HTTP/1.1 " .. status .. "\r\nContent-Length: 5\r\n\r\n")
      assert.is_true(done, status)
      assert.equal("", p:body())
      assert.is_true(p:keepalive())
    end
    local p, done = parse("HTTP/1.1 204 No Content\r\n\r\n")
    assert.is_true(done)
    assert.equal(204, p:status())
  end)

  it("lowercases header names, joins repeated headers with ', ' as the curl transport does", function()
    local p = parse("HTTP/1.1 200 OK\r\nSet-Cookie: access=a; Path=/\r\nSET-COOKIE: refresh=r; HttpOnly\r\n"
      .. "X-Empty:\r\nX-Spaces:   padded  \r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n")
    local h = p:headers()
    assert.equal("access=a; Path=/, refresh=r; HttpOnly", h["set-cookie"])
    assert.equal("", h["x-empty"])
    assert.equal("padded", h["x-spaces"])
    assert.equal("5", h["retry-after"])
    assert.is_nil(h["Set-Cookie"])
  end)

  it("keeps a header value that holds a NUL byte whole (found by fuzz_http)", function()
    local p, done = parse("HTTP/1.1 200 OK\r\nTrailer: \0-T\r\nX-After: 1\r\nContent-Length: 0\r\n\r\n")
    assert.is_true(done)
    assert.equal("\0-T", p:headers().trailer)
    assert.equal("1", p:headers()["x-after"])
  end)

  it("keeps the connection only when the answer allows it", function()
    local p = parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert.is_false(p:keepalive())
    p = parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
    assert.is_true(p:keepalive())
    p = parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert.is_false(p:keepalive())
    -- bytes after the answer: not another answer of ours, and not a connection to reuse
    local done
    p, done = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")
    assert.is_true(done)
    assert.equal("ok", p:body())
    assert.is_false(p:keepalive())
    p = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert.is_true(p:feed("late"))
    assert.is_false(p:keepalive())
  end)

  it("takes 200 KB of headers (past http-parser's own 80 KB) and refuses more than 256 KB", function()
    local line = "X-Big: " .. ("a"):rep(1000) .. "\r\n"
    local p, done = parse("HTTP/1.1 200 OK\r\n" .. line:rep(200) .. "Content-Length: 0\r\n\r\n")
    assert.is_true(done)
    assert.equal(200 * 1000 + 199 * 2, #p:headers()["x-big"])
    local _, err, code
    _, done, err, code = parse("HTTP/1.1 200 OK\r\n" .. line:rep(300) .. "Content-Length: 0\r\n\r\n")
    assert.is_nil(done)
    assert.equal("the answer's headers exceeded 256 KB", err)
    assert.equal("header_size", code)
    -- a chunk-size line without end is bounded too
    _, done, err = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" .. ("x"):rep(600 * 1024))
    assert.is_nil(done)
    assert.matches("header", err)
  end)

  it("refuses a body over max_body, and takes one of exactly max_body", function()
    local _, done, err, code = parse("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", 10)
    assert.is_nil(done)
    assert.equal("the answer exceeded max_body (10 bytes)", err)
    assert.equal("max_body", code)
    local p
    p, done = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello worl", 10)
    assert.is_true(done)
    assert.equal("hello worl", p:body())
    _, done, err = parse({ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "6\r\nhello \r\n",
      "5\r\nworld\r\n0\r\n\r\n" }, 10)
    assert.is_nil(done)
    assert.matches("max_body", err)
  end)

  it("streams a 2xx body to a sink without the max_body cap, and keeps an error answer", function()
    local p = core.http_response(4, true)
    assert.is_false(p:feed("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello "))
    assert.is_true(p:streaming())
    assert.equal("hello ", p:take())
    assert.equal("", p:take())
    assert.is_true(p:feed("world!"))
    assert.equal("world!", p:take())
    local e = core.http_response(100, true)
    assert.is_true(e:feed("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"))
    assert.is_false(e:streaming())
    assert.equal("not found", e:body())
  end)

  it("refuses garbage and ambiguous framing with an error naming http-parser's reason", function()
    for _, text in ipairs {
      "SSH-2.0-OpenSSH_9.2\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n",
      "\0\0\0\0",
    } do
      local p, done, err, code = parse(text)
      assert.is_nil(done, text)
      assert.matches("^malformed answer from the server: ", err, nil, text)
      assert.matches("^HPE_", code, nil, text)
      -- and it stays refused
      local again, err2 = p:feed("HTTP/1.1 200 OK\r\n\r\n")
      assert.is_nil(again)
      assert.equal(err, err2)
      assert.is_false(p:keepalive())
    end
  end)

  it("refuses a switch of protocols that was not asked for", function()
    local _, done, err, code = parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
    assert.is_nil(done)
    assert.matches("101", err)
    assert.equal("upgrade", code)
  end)

  it("reports an answer cut off by the peer closing", function()
    for _, text in ipairs {
      "",
      "HTTP/1.1 200 OK\r\nContent-Le",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    } do
      local p = core.http_response()
      if text ~= "" then assert.is_false(p:feed(text)) end
      local done, err, code = p:feed(nil)
      assert.is_nil(done, text)
      assert.equal("the answer was cut off: the connection closed before its end", err, text)
      assert.equal("eof", code)
    end
  end)

  it("closes once, and refuses use after close", function()
    local p = core.http_response()
    assert.matches("^tingting%.http_response", tostring(p))
    p:close()
    p:close()
    assert.equal("tingting.http_response{closed}", tostring(p))
    assert.has_error(function() p:feed("x") end)
    assert.has_error(function() core.http_response(-1) end)
    assert.has_error(function() core.http_response(1.5) end)
  end)
end)
