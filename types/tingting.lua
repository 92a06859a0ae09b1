---@meta tingting
-- LuaLS (lua-language-server) definitions of the tingting library: completion
-- and type checking in editors. Definitions only: nothing here runs. Point
-- `workspace.library` at this directory (README.md, "Editor support").
--
-- Every method that talks to the API returns its result, or `nil, err` with
-- `err` a `tingting.Error`; only programmer errors (a wrong type of argument
-- where no request could be made, a closed session) raise. So:
--
--    local c, err = s:create_campaign { name = "IPO", services = "SMS" }
--    if not c then print(err.kind, err.message) return end
--    print(c.id)

---The dialect of the API a session speaks: "legacy" (`/api/accounts`,
---`/api/system`, the default) or "v1" (`/api/v1/`; implied by `api_key`).
---@alias tingting.Api "legacy"|"v1"

---What went wrong, coarse enough to branch on.
---@alias tingting.ErrorKind
---| "validation"   # bad input, refused before anything was sent (`field` names it)
---| "auth"         # not logged in, bad credentials, a token no longer accepted
---| "not_found"    # HTTP 404
---| "rate_limited" # HTTP 429 (`retry_after` when the server said)
---| "api"          # any other 4xx: the server said no (`errors` lists why)
---| "server"       # HTTP 5xx
---| "network"      # no answer: refused, reset, unresolvable, TLS
---| "timeout"      # no answer in time
---| "decode"       # an answer that cannot be used (not JSON, past `max_body`)
---| "unsupported"  # a method the session's dialect lacks (the message names the equivalent)

---Legacy: "PHONE" | "SMS". v1 also takes "SMS & PHONE".
---@alias tingting.Services "PHONE"|"SMS"|"SMS & PHONE"

---Legacy voices: np_rija, np_prasanna, np_binod. v1 also knows np_prashanna and
---np_shreegya (and takes a voice id from `s:voice_models()` where it says `voice`).
---@alias tingting.VoiceInput "np_rija"|"np_prasanna"|"np_binod"|"np_prashanna"|"np_shreegya"

---A number's state in a run (legacy `begin{status=}` re-runs the numbers in these).
---@alias tingting.NumberStatus "hungup"|"unanswered"|"failed"|"terminated"|"completed"

---A phone number: digits as a string ("9843818700"); spaces, dashes, dots,
---parentheses and a +977/00977/977 prefix are normalised away. An integer works too.
---@alias tingting.Phone string|integer

---A number to add: its digits, or a record with its tags.
---@alias tingting.NumberItem tingting.Phone|tingting.NumberRecord

---A list of numbers or records, or an iterator returning one per call and nil
---at the end (`tingting.numbers.each_csv(path)` makes one).
---@alias tingting.NumberSource tingting.NumberItem[]|fun(): tingting.NumberItem|nil, tingting.Error|nil

---A transport: an object with `request` (and optionally `many`, `sleep`), or a
---plain function taking a request table.
---@alias tingting.TransportLike tingting.Transport|fun(req: tingting.Request): integer|nil, string|table|nil, table<string, string>|nil

---An error: a table with metatable `tingting.error` (`tingting.is_error(v)`).
---`tostring(err)` gives one line such as `tingting: api error 400 in
---create_campaign (POST /api/system/campaigns/): name: This field is required.`
---and never holds a token, a password or an Authorization header.
---@class tingting.Error
---@field kind tingting.ErrorKind what went wrong
---@field message string a readable account of it ("field: why" for validation)
---@field sent boolean false when the request provably never reached the server (validation, unsupported, connect failures): safe to send again
---@field retryable boolean whether the retry policy would try again (set by the call path)
---@field status? integer the HTTP status, when an answer arrived
---@field field? string the argument or option at fault (validation; also an API field error)
---@field errors? table the server's own list of errors, as it sent them
---@field op? string the operation ("create_campaign", "begin", "send_otp", ...)
---@field method? string the HTTP method of the request
---@field path? string the request's path (no query, no token)
---@field retry_after? number seconds the server asked to wait (Retry-After)
---@field attempts? integer how many times the request was sent before giving up
---@field code? string|integer a transport's or store's own code (libcurl's error name, "timeout", "protocol", ...)
---@field line? integer the line of a number file at fault (`tingting.numbers`)
---@field no_retry? boolean the transport's word that trying again cannot help

---A request table, as the core builds it and a transport performs it.
---@class tingting.Request
---@field op string the operation
---@field method "GET"|"POST"|"PUT"|"PATCH"|"DELETE"
---@field url string
---@field path? string the URL's path (for logs and errors)
---@field headers table<string, string>
---@field body? string a JSON body
---@field form? {name: string, value?: string, file?: string, filename?: string, type?: string}[] multipart/form-data parts
---@field sink? string write the answer's body to this file instead of returning it
---@field timeout? number seconds for the whole request
---@field connect_timeout? number seconds to connect
---@field max_body? integer the largest answer taken (bytes)
---@field idempotent boolean whether sending it twice is harmless

---What a transport gives back for a request that failed without an answer.
---@class tingting.TransportError
---@field kind "network"|"timeout"|"decode"
---@field message string
---@field code? string|integer
---@field sent? boolean false when the request never left
---@field retryable? boolean false when trying again cannot help

---Performs request tables (DESIGN: sans-IO core, pluggable transport).
---@class tingting.Transport
local Transport = {}

---Perform one request.
---@param req tingting.Request
---@return integer|nil status the HTTP status; nil on failure
---@return string|tingting.TransportError|nil body the answer's body (nil with a `sink`), or the failure
---@return table<string, string>|nil headers lower-case names
function Transport:request(req) end

---Perform a batch with at most `concurrency` requests in flight, calling
---`on_done(i, status, body, headers)` or `on_done(i, nil, err)` as each ends
---(in completion order).
---@param reqs tingting.Request[]
---@param concurrency integer
---@param on_done fun(i: integer, status: integer|nil, body: string|tingting.TransportError|nil, headers: table<string, string>|nil)
---@return true
function Transport:many(reqs, concurrency, on_done) end

---Wait `seconds` (inside nginx: without blocking the worker).
---@param seconds number
---@return nil
function Transport:sleep(seconds) end

---The default transport outside nginx: libcurl, keep-alive, HTTP/2 batches.
---Misuse (a closed transport, a malformed request table) raises.
---@class tingting.CurlTransport: tingting.Transport
local CurlTransport = {}

---Connections opened so far (each request or batch that found none to reuse).
---@return {connects: integer} stats
function CurlTransport:stats() end

---Close the connections (also `__gc`, `__close`); idempotent.
---@return nil
function CurlTransport:close() end

---Options of `tingting.transport.curl{}` (the session passes its own).
---@class tingting.CurlOptions
---@field timeout? number seconds for a whole request (default 30)
---@field connect_timeout? number seconds to connect (default 10)
---@field ca_file? string a CA bundle to verify the server against (default: the system's)
---@field insecure? boolean skip TLS verification (default false)
---@field user_agent? string
---@field max_body? integer the largest answer taken, in bytes (default 64 MiB)
---@field http2? boolean multiplex batches over one h2 connection where offered (default true)

---A token store: where sessions keep their tokens (`token_store` option).
---With `lock`/`unlock` too, token renewal is single-flight across everything
---sharing the store (nginx workers, hosts).
---@class tingting.TokenStore
local TokenStore = {}

---The stored tokens.
---@return string|nil access
---@return string|nil refresh
function TokenStore:load() end

---Store both tokens (nil, nil forgets them).
---@param access string|nil
---@param refresh string|nil
---@return nil
function TokenStore:save(access, refresh) end

---Options of `tingting.session{}`; each optional. A bad one is `nil, err`
---(kind "validation", field naming it); an unknown one is refused.
---@class tingting.SessionOptions
---@field api? tingting.Api the dialect (default "legacy"; "v1" when `api_key` is given; api = "legacy" with `api_key` is an error)
---@field api_key? string a v1 static API token (implies api = "v1"): nothing to log in or refresh
---@field base_url? string the API host (default "https://app.tingting.io", or env TINGTING_BASE_URL); scheme://host[:port], the library adds /api/...
---@field email? string log in lazily on the first call, and again when the refresh token is no longer accepted (goes with `password`)
---@field password? string goes with `email`
---@field access_token? string resume without a login
---@field refresh_token? string resume without a login
---@field timeout? number seconds for a whole request (default 30; at most 3600)
---@field connect_timeout? number seconds to connect (default 10)
---@field max_retries? integer retries after the first attempt, 0 to 10 (default 2)
---@field max_body? integer the largest answer taken, in bytes (default `tingting.MAX_BODY`, 64 MiB; from 1024)
---@field transport? tingting.TransportLike default: libcurl; inside nginx the cosocket transport
---@field ca_file? string a CA bundle (default: the system's; not used inside nginx)
---@field insecure? boolean skip TLS verification (default false)
---@field allow_insecure_http? boolean allow plain http to hosts other than loopback (default false)
---@field user_agent? string
---@field http2? boolean multiplex batches over h2 where offered (default true)
---@field on_tokens? fun(access: string|nil, refresh: string|nil) called on every change of the tokens
---@field token_store? tingting.TokenStore share one login (default: none, the session's own)
---@field on_log? fun(line: string) one redacted line per request and retry (default: none)

---Pagination of a list page. Legacy: the server's `pagination` object
---(`has_next`, `total_items`, ...). v1: `{count=, total_pages=, next=, previous=}`.
---@class tingting.Pagination
---@field has_next? boolean legacy
---@field total_items? integer legacy
---@field current_page? integer legacy
---@field total_pages? integer
---@field count? integer v1: items in the whole list
---@field next? string|nil v1: the next page's URL
---@field previous? string|nil v1: the previous page's URL

---A list read page by page: its items, and `pagination`, the pagination of the
---page (or of the last page read). `pagination` sits in the list's metatable,
---out of the way of ipairs, pairs and JSON encoders.
---@class tingting.CampaignList
---@field [integer] tingting.Campaign
---@field pagination? tingting.Pagination

---@class tingting.NumberList
---@field [integer] tingting.Number
---@field pagination? tingting.Pagination

---@class tingting.OtpList
---@field [integer] table `{id=, phone_number=, message=, otp=, otp_options=, ...}`
---@field pagination? tingting.Pagination

---Legacy `s:campaigns{page=}`; v1 `s:campaigns{...}`, `s:each_campaign{...}`.
---With `page` (legacy) or `limit`/`offset` (v1): that page only.
---@class tingting.CampaignFilters
---@field page? integer legacy: that page only
---@field limit? integer v1: page size (at most 10); that page only
---@field offset? integer v1: start; that page only
---@field status? "Completed"|"Not Started"|"Running"|"Scheduled"|"Terminated" v1
---@field search? string v1
---@field draft? boolean v1
---@field sort_by? "asc"|"des" v1
---@field from_date? string v1, "YYYY-MM-DD"
---@field to_date? string v1, "YYYY-MM-DD"

---v1 `c:numbers{}`, `c:each_number{}`, `s:otps{}`: with `limit`/`offset`, that page only.
---@class tingting.PageFilters
---@field limit? integer
---@field offset? integer

---`s:create_campaign{...}`: the dialect's wire names.
---@class tingting.CreateCampaignArgs
---@field name string
---@field services tingting.Services legacy: PHONE|SMS; v1: also "SMS & PHONE"
---@field description? string
---@field individual_number? tingting.Phone[] legacy: the recipients
---@field send_to_number_file? string|tingting.NumberSource legacy: an .xlsx/.csv path, or a list or iterator written to a temporary .xlsx
---@field user_phone? integer[] v1: sender number ids (`s:sender_numbers()`)
---@field message? string v1: the voice message
---@field sms_message? string v1: the SMS text
---@field schedule? string|number v1: "YYYY-MM-DDTHH:MM" (Nepal time) or an epoch
---@field voice? integer v1: a voice id (`s:voice_models()`)

---`c:update{...}`: only what is given changes.
---@class tingting.UpdateCampaignArgs
---@field name? string
---@field services? tingting.Services
---@field description? string legacy
---@field message? string v1
---@field sms_message? string v1
---@field schedule? string|number v1

---`c:begin{...}`. Legacy: `message` or `aud_file` (or `status`/`priority` for a
---re-run). v1: every field optional; the given ones are first set with `c:set_message`.
---@class tingting.BeginArgs
---@field message? string the text to speak or send; its `{tags_*}` must be usable tags of the campaign (legacy)
---@field aud_file? string legacy: an audio file to upload instead of a message
---@field voice_input? tingting.VoiceInput legacy
---@field schedule_date? string|number legacy: "YYYY-MM-DDTHH:MM" (Nepal time, UTC+05:45) or an epoch
---@field length_factor? number speech speed
---@field individual? integer[] legacy: run only these number ids
---@field status? tingting.NumberStatus|tingting.NumberStatus[] legacy re-run: the numbers in these states ("failed, hungup" is split)
---@field priority? "audio"|"message" legacy
---@field sms_message? string v1
---@field voice? integer v1: a voice id
---@field category? "Text"|"Audio" v1

---`c:set_message{...}` (v1).
---@class tingting.SetMessageArgs
---@field voice? integer a voice id (`s:voice_models()`)
---@field category? "Text"|"Audio"
---@field length_factor? number
---@field message? string
---@field sms_message? string

---`s:test_voice{...}` (legacy) and `c:test_voice{...}` (v1).
---@class tingting.TestVoiceArgs
---@field message string
---@field voice_input? tingting.VoiceInput

---`s:send_otp{...}`.
---@class tingting.SendOtpArgs
---@field number tingting.Phone
---@field message string must contain `{otp}`
---@field sms_send_options "text"|"voice"
---@field otp_options? "personnel"|"generated" personnel requires `otp` (given `otp` alone: personnel)
---@field otp? string|integer your code (personnel)
---@field otp_length? integer the server's code length (generated)
---@field company_name? string v1: required, named in the OTP
---@field voice_input? tingting.VoiceInput|integer v1: the voice of a voice OTP

---`n:update{...}`. v1 sends each given one to its own endpoint.
---@class tingting.UpdateNumberArgs
---@field number? tingting.Phone
---@field available_tags? table<string, string|number> the number's tags (legacy `tags_*` keys; v1 variables)

---A number with its tags, as `c:add_numbers` and the CSV readers take and give.
---@class tingting.NumberRecord
---@field number tingting.Phone
---@field available_tags? table<string, string|number>
---@field line? integer the CSV line it came from (`tingting.numbers`)

---`c:add_numbers(source, opts)`; unknown options are refused.
---@class tingting.AddNumbersOptions
---@field concurrency? integer requests in flight, 1 to 64 (default 8)
---@field skip_existing? boolean skip numbers already in the campaign (default true)
---@field on_progress? fun(done: integer, total: integer|nil) total is nil for an iterator
---@field on_result? fun(item: tingting.NumberItem, number: tingting.Number|nil, err: tingting.Error|nil) every outcome (a skipped one has neither)
---@field keep? boolean fill `report.numbers` (default true for a list, false for an iterator)
---@field max_rounds? integer rounds of retries of what failed (default: the session's max_retries + 1)

---What `c:add_numbers` did: each number added exactly once or reported.
---@class tingting.AddNumbersReport
---@field added integer
---@field skipped integer already in the campaign, or seen before in the source
---@field invalid {input: any, reason: string, index?: integer}[] never sent
---@field failed {number: string, err: tingting.Error}[]
---@field numbers? tingting.Number[] with `keep`
---@field error? tingting.Error a source iterator that failed part-way (what came before was sent)

---`c:upload_numbers(...)` (v1): the server's check of the file.
---@class tingting.UploadResult
---@field error_list table
---@field samples table
---@field total_validated_rows integer

---`s:api_token()` (v1).
---@class tingting.ApiToken
---@field token string
---@field last_used? string
---@field created_at? string

---`s:voice_models()` (v1).
---@class tingting.VoiceModel
---@field id integer
---@field voice_display_name string
---@field voice_internal_name string
---@field is_premium boolean

---A session: one account on one API host, in one dialect. Read-only fields;
---closes with `s:close()`, `local s <close>` or the GC.
---@class tingting.Session
---@field api tingting.Api the dialect
---@field base_url string the host, without a trailing slash
---@field logged_in boolean holds an access token
---@field token_expires? number epoch seconds when the access token expires
---@field access_token? string
---@field refresh_token? string
---@field email? string
---@field closed boolean
local Session = {}

---Log in with the session's credentials, or these (remembered for re-login).
---Legacy: the user data. v1: true (the tokens arrive as cookies).
---@param email? string
---@param password? string
---@return table|true|nil user legacy: user_data; v1: true
---@return tingting.Error|nil err
function Session:login(email, password) end

---Get a new access token from the refresh token.
---@return true|nil ok
---@return tingting.Error|nil err kind "auth" when there is no refresh token
function Session:refresh() end

---The account. Legacy: user_details (`username`, `contact_number`, ...); v1: the profile.
---@return table|nil user
---@return tingting.Error|nil err
function Session:user() end

---The account's phone numbers. Legacy: `{phone, ...}`; v1: `{{id=, phone_number=}, ...}`.
---@return table[]|nil numbers
---@return tingting.Error|nil err
function Session:owned_numbers() end

---Legacy: numbers for sale (`{phone_number=, phone_number_sid=, rate=, ...}`).
---v1: unsupported (use `s:sender_numbers()`).
---@return table[]|nil numbers
---@return tingting.Error|nil err
function Session:available_numbers() end

---Legacy: buy a number. v1: unsupported.
---@param phone_sid string
---@return table|nil phone
---@return tingting.Error|nil err
function Session:buy_number(phone_sid) end

---Legacy: release a number. v1: unsupported.
---@param phone_sid string
---@return true|nil ok
---@return tingting.Error|nil err
function Session:release_number(phone_sid) end

---Campaigns. Legacy: every page following has_next, or `{page = n}` that page.
---v1: every page, or with `limit`/`offset` that page; filters status, search,
---draft, sort_by, from_date, to_date. `list.pagination` is the pagination of
---the page (or of the last page read); when one page was asked for, the
---pagination is also the second value: `local list, pagination = s:campaigns{page = 2}`.
---@param filters? tingting.CampaignFilters
---@return tingting.CampaignList|nil campaigns
---@return tingting.Error|tingting.Pagination|nil err the error, or a page's pagination
function Session:campaigns(filters) end

---v1: an iterator of Campaign fetching page by page (`for c in s:each_campaign() do`).
---A page that cannot be read ends the loop: call the iterator directly to see
---its `nil, err`. Legacy: unsupported.
---@param filters? tingting.CampaignFilters
---@return (fun(): tingting.Campaign|nil, tingting.Error|nil)|nil iterator
---@return tingting.Error|nil err
function Session:each_campaign(filters) end

---One campaign by id.
---@param id integer
---@return tingting.Campaign|nil campaign
---@return tingting.Error|nil err
function Session:campaign(id) end

---Create a campaign. Legacy: `individual_number` or `send_to_number_file` (a
---path, or a list or iterator written to a temporary .xlsx). v1: `user_phone`,
---`message`, `sms_message`, `schedule`, `voice`.
---@param args tingting.CreateCampaignArgs
---@return tingting.Campaign|nil campaign
---@return tingting.Error|nil err
function Session:create_campaign(args) end

---Legacy: one number by id. v1: unsupported (use `c:numbers()`, `n:attributes()`).
---@param id integer
---@return tingting.Number|nil number
---@return tingting.Error|nil err
function Session:number(id) end

---Legacy: the account's report summary (the envelope's message as
---`server_message`). v1: unsupported (use `s:dashboard()`).
---@return table|nil summary
---@return tingting.Error|nil err
function Session:report_summary() end

---Legacy: a voice preview (`{audio_url=, ...}`, the envelope's message as
---`server_message`). v1: unsupported (use `c:test_voice{}`). Success is one value.
---@param args tingting.TestVoiceArgs
---@return table|nil result
---@return tingting.Error|nil err
function Session:test_voice(args) end

---Send an OTP through the API (see `tingting.otp` for a whole flow).
---@param args tingting.SendOtpArgs
---@return table|nil details
---@return tingting.Error|nil err
function Session:send_otp(args) end

---v1: the account's API token. Legacy: unsupported.
---@return tingting.ApiToken|nil token
---@return tingting.Error|nil err
function Session:api_token() end

---v1: make a new API token; needs a login session (an API-token session gets
---kind "auth", sent = false). Legacy: unsupported.
---@return string|nil token
---@return tingting.Error|nil err
function Session:generate_api_token() end

---v1: the dashboard. Legacy: unsupported (use `s:report_summary()`).
---@param args? {days?: integer}
---@return table|nil dashboard
---@return tingting.Error|nil err
function Session:dashboard(args) end

---v1: the voices (ids for `voice`). Legacy: unsupported (voices np_rija, np_prasanna, np_binod).
---@return tingting.VoiceModel[]|nil voices
---@return tingting.Error|nil err
function Session:voice_models() end

---v1: the numbers campaigns can send from (`{{id=, phone_number=}, ...}`; ids go
---in `user_phone`). Legacy: unsupported.
---@return {id: integer, phone_number: string}[]|nil numbers
---@return tingting.Error|nil err
function Session:sender_numbers() end

---v1: the OTPs sent (every page, or with limit/offset that page, whose
---pagination is also the second value). Legacy: unsupported.
---@param filters? tingting.PageFilters
---@return tingting.OtpList|nil otps
---@return tingting.Error|tingting.Pagination|nil err the error, or a page's pagination
function Session:otps(filters) end

---v1: a campaign's survey report: a table with format "json", else CSV bytes.
---Legacy: unsupported.
---@param id integer the campaign's id
---@param opts? {format?: "csv"|"json"}
---@return table|string|nil report
---@return tingting.Error|nil err
function Session:survey_report(id, opts) end

---Close the session: forget its secrets, close a transport it made. Idempotent;
---also `__gc` and `__close`. Methods of a closed session raise.
---@return nil
function Session:close() end

---A campaign: read-only fields (`c:fields()` has every wire field), methods
---acting on it through the session it came from.
---@class tingting.Campaign
---@field id integer
---@field name string
---@field services tingting.Services
---@field description? string
---@field usable_tags? string[] legacy: the `{tags_*}` a message may use
---@field user_phone? any the sender number(s)
---@field status? string v1: "Not Started", "Running", "Completed", ...
---@field voice? integer v1: the voice id
local Campaign = {}

---Read the campaign again; `c` takes the new fields.
---@return tingting.Campaign|nil campaign `c` itself
---@return tingting.Error|nil err
function Campaign:reload() end

---Change the campaign (legacy PUT; v1 PATCH); `c` takes the new fields.
---@param args tingting.UpdateCampaignArgs
---@return tingting.Campaign|nil campaign `c` itself
---@return tingting.Error|nil err
function Campaign:update(args) end

---Delete the campaign.
---@return true|nil ok
---@return tingting.Error|nil err
function Campaign:delete() end

---Start (or re-run) the campaign. Legacy: `message` or `aud_file`, or
---`status`/`priority` for a re-run; a message with tags the campaign cannot use
---is refused before sending. v1: optional; the given fields are set first
---(`c:set_message`). Success is one value: legacy, the answer's data with the
---envelope's message as `server_message`.
---@param args? tingting.BeginArgs
---@return table|true|nil data
---@return tingting.Error|nil err
function Campaign:begin(args) end

---v1: set the message and voice; `c` takes the new fields. Legacy: unsupported
---(give them to `c:begin{}`).
---@param args tingting.SetMessageArgs
---@return tingting.Campaign|nil campaign `c` itself
---@return tingting.Error|nil err
function Campaign:set_message(args) end

---The campaign's numbers. Legacy: all of them. v1: every page, or with
---`limit`/`offset` that page (`list.pagination` is its pagination, and the
---second value).
---@param filters? tingting.PageFilters v1
---@return tingting.NumberList|nil numbers
---@return tingting.Error|tingting.Pagination|nil err the error, or a page's pagination
function Campaign:numbers(filters) end

---v1: an iterator of Number fetching page by page. Legacy: unsupported.
---@param filters? tingting.PageFilters
---@return (fun(): tingting.Number|nil, tingting.Error|nil)|nil iterator
---@return tingting.Error|nil err
function Campaign:each_number(filters) end

---Add one number; the Number carries the server's id.
---@param number tingting.Phone
---@param available_tags? table<string, string|number> legacy: `tags_*` keys the campaign's usable_tags allow; v1: variables
---@return tingting.Number|nil number
---@return tingting.Error|nil err
function Campaign:add_number(number, available_tags) end

---Add many numbers concurrently, each exactly once: validated and normalised
---first (invalid ones reported, never sent), deduplicated, existing ones
---skipped, ambiguous failures reconciled against the server's list. The report
---comes back even when some failed (see its `failed`, `invalid`, `error`).
---@param source tingting.NumberSource
---@param opts? tingting.AddNumbersOptions
---@return tingting.AddNumbersReport|nil report
---@return tingting.Error|nil err bad arguments or options
function Campaign:add_numbers(source, opts) end

---v1: upload a numbers file (`bulk_file`): a path (.xlsx/.csv), or a list or
---iterator written to a temporary .xlsx. Legacy: unsupported (use
---`send_to_number_file`).
---@param source string|tingting.NumberSource
---@return tingting.UploadResult|nil result
---@return tingting.Error|nil err
function Campaign:upload_numbers(source) end

---v1: a voice preview for this campaign: the audio URL. Legacy: unsupported
---(use `s:test_voice{}`).
---@param args tingting.TestVoiceArgs
---@return string|table|nil audio_url
---@return tingting.Error|nil err
function Campaign:test_voice(args) end

---The campaign's report: its bytes, or `true` once written to `path` (mode 0600).
---@param path? string
---@param opts? {max_bytes?: integer} the largest report taken (default `tingting.MAX_REPORT`, 1 GiB)
---@return string|true|nil report
---@return tingting.Error|nil err
function Campaign:report(path, opts) end

---A local preview of a tag message for this campaign (nothing is sent). v1:
---`{name}` and `{tags_name}` both take the variable `name`.
---A placeholder without a value stays as it is (`tingting.template.render`
---also lists them).
---@param message string
---@param tags? table<string, string|number>
---@return string|nil rendered
---@return tingting.Error|nil err bad input
function Campaign:render(message, tags) end

---A plain deep copy of every wire field.
---@return table fields
function Campaign:fields() end

---Let go of the session (the fields stay readable); also `__close`. Idempotent.
---@return nil
function Campaign:close() end

---A number (a contact) of a campaign: read-only fields.
---@class tingting.Number
---@field id integer
---@field number string digits
---@field campaign? integer the campaign's id (the API's "campaing")
---@field available_tags? table<string, string|number> legacy tags; v1 variables
---@field status? string
---@field duration? integer seconds (v1 "10s" is read as 10)
---@field playback? string
---@field credit_consumed? number
---@field carrier? string v1
local Number = {}

---Legacy: read the number again; `n` takes the new fields. v1: unsupported
---(use `c:numbers()`, `n:attributes()`).
---@return tingting.Number|nil number `n` itself
---@return tingting.Error|nil err
function Number:reload() end

---Change the number or its tags; `n` takes the new fields.
---@param args tingting.UpdateNumberArgs
---@return tingting.Number|nil number `n` itself
---@return tingting.Error|nil err
function Number:update(args) end

---Delete the number from its campaign.
---@return true|nil ok
---@return tingting.Error|nil err
function Number:delete() end

---v1: the number's variables (also kept as `n.available_tags`). Legacy: unsupported.
---@return table|nil attributes
---@return tingting.Error|nil err
function Number:attributes() end

---v1: a demo call to this number. Legacy: unsupported.
---@return table|nil data
---@return tingting.Error|nil err
function Number:demo_call() end

---A plain deep copy of every wire field.
---@return table fields
function Number:fields() end

---Let go of the session (the fields stay readable); also `__close`. Idempotent.
---@return nil
function Number:close() end

---The retry policy, as data (changing it changes every session's).
---@class tingting.Policy
---@field retry_status table<integer, boolean> statuses retried for idempotent operations (429, 500, 502, 503, 504)
---@field backoff_base number first delay in seconds (0.5), doubled per attempt
---@field backoff_cap number longest computed delay (5 s)
---@field retry_after_cap number longest Retry-After honoured (60 s)
---@field refresh_margin number renew the access token this many seconds before it expires (30)

---An endpoint row (`tingting.endpoints(dialect)`).
---@class tingting.Endpoint
---@field op string
---@field method string
---@field path string
---@field auth boolean
---@field idempotent boolean
---@field fields {name: string, required: boolean, enum?: string[]}[]

---Transports by name; `ngx` and `cosocket` load on first use (inside OpenResty).
---@class tingting.transports
---@field ngx fun(opts?: tingting.NgxTransportOptions): tingting.NgxTransport|nil, tingting.Error|nil
---@field cosocket fun(opts?: tingting.CosocketOptions): tingting.CosocketTransport|nil, tingting.Error|nil
local transports = {}

---The libcurl transport (the default outside nginx).
---@param opts? tingting.CurlOptions
---@return tingting.CurlTransport|nil transport
---@return tingting.Error|nil err a bad option
function transports.curl(opts) end

---@class tingting
---@field VERSION string the library's version, "0.1.0"
---@field _VERSION string the same, by the Lua convention
---@field MAX_BODY integer the default `max_body`: 64 MiB
---@field MAX_REPORT integer the default `c:report(path, {max_bytes=})`: 1 GiB
---@field policy tingting.Policy
---@field template tingting.template
---@field numbers tingting.numbers
---@field store tingting.store
---@field transport tingting.transports
local tingting = {}

---Make a session (nothing is sent until the first call).
---@param opts? tingting.SessionOptions
---@return tingting.Session|nil session
---@return tingting.Error|nil err a bad option (kind "validation", `field` names it)
function tingting.session(opts) end

---Whether `v` is a `tingting.Error`.
---@param v any
---@return boolean
function tingting.is_error(v) end

---A phone number's digits (see `tingting.numbers.normalize`).
---@param v tingting.Phone
---@return string|nil digits
---@return tingting.Error|nil err kind "validation", field "number"
function tingting.normalize_phone(v) end

---The endpoint table of a dialect.
---@param dialect? tingting.Api default "legacy"
---@return tingting.Endpoint[]
function tingting.endpoints(dialect) end

---Block for `seconds` (for scripts polling a running campaign; not inside nginx).
---@param seconds number
---@return nil
function tingting.sleep(seconds) end

return tingting
