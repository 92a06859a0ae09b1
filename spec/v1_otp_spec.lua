-- tingting.otp through a v1 session (an API token) against the emulator:
-- the code goes to auths/send/otp/ with the company's name, and verifies.
local tingting = require "tingting"
local otp = require "tingting.otp"
local emu = require "spec.helpers.emulator"
local otph = require "spec.helpers.otp"
local V = require "spec.helpers.emulator_v1"

local NUMBER = otph.NUMBER

local delivered = otph.delivered

describe("tingting.otp on v1", function()
  local s
  before_each(function()
    V.fresh()
    emu.clear_requests()
    s = assert(tingting.session { base_url = emu.url(), api_key = V.token })
  end)
  after_each(function() s:close() end)

  it("needs company_name on a v1 session, and refuses the v1 options on legacy", function()
    local flow, err = otp.new { session = s }
    assert.is_nil(flow)
    assert.equal("company_name", err.field)
    local legacy = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
    flow, err = otp.new { session = legacy, company_name = "prixa" }
    assert.is_nil(flow)
    assert.equal("company_name", err.field)
    assert.matches("v1 option", err.message)
  end)

  it("sends a text code as a personnel OTP naming the company, and verifies it once", function()
    local flow = assert(otp.new { session = s, company_name = "prixa", message = "{otp} is your code" })
    local info = assert(flow:send("+977 985-1023212"))
    assert.equal(NUMBER, info.number)
    local code, sent = delivered()
    assert.matches("^%d%d%d%d%d%d$", code)
    assert.equal("prixa", sent.company_name)
    assert.equal("personnel", sent.otp_options)
    local log = emu.requests()
    assert.equal("POST", log[#log].method)
    assert.equal("/api/v1/auths/send/otp/", log[#log].path)
    assert.is_true(flow:verify(NUMBER, code))
    assert.is_false(flow:verify(NUMBER, code))
  end)

  it("sends a voice code with a voice (np_rija unless given)", function()
    local flow = assert(otp.new { session = s, company_name = "prixa", via = "voice" })
    assert(flow:send(NUMBER))
    local _, sent = delivered()
    assert.equal("voice", sent.sms_send_options)
    assert.equal("np_rija", sent.voice_input)
    flow = assert(otp.new { session = s, company_name = "prixa", via = "voice", voice_input = "np_binod",
      resend_after = 0 })
    assert(flow:send("9851023213"))
    _, sent = delivered("9851023213")
    assert.equal("np_binod", sent.voice_input)
  end)

  it("send_otp refuses a missing company_name and a voice OTP without voice_input before sending", function()
    local _, err = s:send_otp { number = NUMBER, message = "{otp}", sms_send_options = "text", otp = "1234" }
    assert.equal("validation", err.kind)
    assert.equal("company_name", err.field)
    _, err = s:send_otp { number = NUMBER, message = "{otp}", sms_send_options = "voice", otp = "1234",
      company_name = "prixa" }
    assert.equal("voice_input", err.field)
    assert.same({}, emu.requests())
  end)
end)
