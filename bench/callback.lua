-- wrk script for bench/callback.py: every request a new 公众号 text message, validly signed.
--
--   wrk -s bench/callback.lua URL -- MODE TOKEN AES_KEY APP_ID TEXT FIRST_MSGID USERS
--
-- MODE is "plain" (明文模式: the query string's signature) or "aes" (安全模式: the body encrypted
-- with AES-256-CBC and signed as msg_signature). Each request gets its own MsgId, nonce and the
-- current timestamp, so the server stores one inbound-log row per request, as in production.
-- SHA1, AES and base64 come from OpenSSL's libcrypto (wrk links it) through LuaJIT's FFI.
-- done() prints one JSON line for bench/callback.py: counts and latency percentiles in microseconds.

local ffi = require("ffi")
ffi.cdef [[
unsigned char *SHA1(const unsigned char *d, size_t n, unsigned char *md);
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_cipher_st EVP_CIPHER;
EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void);
const EVP_CIPHER *EVP_aes_256_cbc(void);
int EVP_EncryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *type, void *impl,
                       const unsigned char *key, const unsigned char *iv);
int EVP_CIPHER_CTX_set_padding(EVP_CIPHER_CTX *ctx, int padding);
int EVP_EncryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl);
int EVP_EncodeBlock(unsigned char *t, const unsigned char *f, int n);
int EVP_DecodeBlock(unsigned char *t, const unsigned char *f, int n);
]]
local crypto = ffi.load("crypto")

local threads = {}
local counter = 0

function setup(thread)
   thread:set("number", #threads)
   table.insert(threads, thread)
end

local mode, token, app_id, text, next_id, users, key, ctx, marker
local digest = ffi.new("unsigned char[20]")
local outl = ffi.new("int[1]")
bad = 0  -- global: done() reads it from each thread

local function sha1_hex(s)
   crypto.SHA1(s, #s, digest)
   local out = {}
   for i = 0, 19 do out[i + 1] = string.format("%02x", digest[i]) end
   return table.concat(out)
end

local function signature(...)
   local parts = {...}
   table.sort(parts)
   return sha1_hex(table.concat(parts))
end

local function base64(s)
   local buf = ffi.new("unsigned char[?]", math.floor((#s + 2) / 3) * 4 + 1)
   local n = crypto.EVP_EncodeBlock(buf, s, #s)
   return ffi.string(buf, n)
end

local function encrypt(xml)
   -- WeChat's layout: 16 random bytes, the XML's length (4 bytes, big-endian), the XML, the app id,
   -- padded PKCS#7-style to a multiple of 32 bytes
   local n = #xml
   local plain = string.format("%016d", math.random(0, 99999999)) ..
      string.char(bit.band(bit.rshift(n, 24), 255), bit.band(bit.rshift(n, 16), 255),
                  bit.band(bit.rshift(n, 8), 255), bit.band(n, 255)) .. xml .. app_id
   local pad = 32 - #plain % 32
   plain = plain .. string.rep(string.char(pad), pad)
   local out = ffi.new("unsigned char[?]", #plain + 32)
   crypto.EVP_EncryptInit_ex(ctx, crypto.EVP_aes_256_cbc(), nil, key, key)  -- the IV is the key's first 16 bytes
   crypto.EVP_CIPHER_CTX_set_padding(ctx, 0)
   crypto.EVP_EncryptUpdate(ctx, out, outl, plain, #plain)
   return base64(ffi.string(out, outl[0]))
end

function init(args)
   mode, token, app_id, text = args[1], args[2], args[4], args[5]
   users = tonumber(args[7])
   -- each thread its own block of ids: 10^9 apart
   next_id = tonumber(args[6]) + number * 1000000000  -- number: set by setup()
   math.randomseed(next_id)
   marker = mode == "aes" and "<Encrypt>" or "<Content>"
   if mode == "aes" then
      local raw = args[3] .. "="
      local buf = ffi.new("unsigned char[48]")
      crypto.EVP_DecodeBlock(buf, raw, #raw)
      key = ffi.new("unsigned char[32]")
      ffi.copy(key, buf, 32)
      ctx = crypto.EVP_CIPHER_CTX_new()
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "text/xml"
end

function request()
   local id = next_id
   next_id = next_id + 1
   local ts, nonce, user = tostring(os.time()), string.format("%d", id), string.format("o-user%d", id % users)
   local xml = string.format(
      "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>" ..
      "<CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>" ..
      "<MsgId>%d</MsgId></xml>", user, ts, text, id)
   local query = "signature=" .. signature(token, ts, nonce) .. "&timestamp=" .. ts .. "&nonce=" .. nonce ..
      "&openid=" .. user
   local body = xml
   if mode == "aes" then
      local sealed = encrypt(xml)
      query = query .. "&encrypt_type=aes&msg_signature=" .. signature(token, ts, nonce, sealed)
      body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[" .. sealed ..
         "]]></Encrypt></xml>"
   end
   return wrk.format(nil, wrk.path .. "?" .. query, nil, body)
end

function response(status, headers, body)
   if status ~= 200 or not string.find(body, marker, 1, true) then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local wrong = 0
   for _, thread in ipairs(threads) do wrong = wrong + (thread:get("bad") or 0) end
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "bad": %d, "errors": %d, ' ..
      '"p50": %d, "p90": %d, "p99": %d, "max": %d}\n',
      summary.requests, summary.duration, wrong, e.connect + e.read + e.write + e.status + e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
