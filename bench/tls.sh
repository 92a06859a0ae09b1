#!/usr/bin/env bash
# A TLS front for the emulator, for bench/percall.lua over https: nginx with a
# self-signed certificate made on the spot, proxying to the emulator on kept-alive
# connections, so that every client of the benchmark pays the same server work.
#   bench/tls.sh start PORT EMULATOR_URL   prints https://127.0.0.1:PORT and the CA file
#   bench/tls.sh stop PORT
set -eu
cmd=$1 port=$2
prefix="${TMPDIR:-/tmp}/tingting-tls-$port"
case $cmd in
  start)
    emu=${3#http://}
    rm -rf "$prefix"; mkdir -p "$prefix/logs" "$prefix/tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      -keyout "$prefix/key.pem" -out "$prefix/cert.pem" >/dev/null 2>&1
    user_line=""; [ "$(id -u)" = 0 ] && user_line="user root root;"
    cat >"$prefix/nginx.conf" <<CONF
$user_line
daemon on;
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $prefix/tmp;
  proxy_temp_path $prefix/tmp;
  upstream emulator { server $emu; keepalive 16; }
  server {
    listen 127.0.0.1:$port ssl http2;
    ssl_certificate $prefix/cert.pem;
    ssl_certificate_key $prefix/key.pem;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://emulator;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
    nginx -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log"
    echo "https://127.0.0.1:$port $prefix/cert.pem"
    ;;
  stop)
    [ -f "$prefix/nginx.pid" ] && kill -QUIT "$(cat "$prefix/nginx.pid")" 2>/dev/null || true
    sleep 0.3; rm -rf "$prefix"
    ;;
esac
