#!/usr/bin/env bash
# The HTTP/JSON gateway against the gRPC port of the same node, same run, one independent load
# generator for both (h2load from Debian's nghttp2-client): Get and durable Increment of one key,
# gRPC (h2, protobuf frames), HTTP/2 cleartext and HTTP/1.1 keep-alive (JSON), alternating in two
# rounds. Usage: docs/bench-http.sh [SECONDS per run, default 15]; needs the jar (mvn -B -q -pl node
# -am package -DskipTests). Ports 7600-7604 on 127.0.0.1; the node is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
command -v h2load >/dev/null || { echo "h2load is missing: apt-get install nghttp2-client" >&2; exit 1; }
jar=node/target/tally.jar
[[ -f $jar ]] || { echo "$jar is missing: mvn -B -q -pl node -am package -DskipTests" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $node 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
java --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED \
  -jar "$jar" node --name bench --data-dir "$work/data" --port 7600 --peer-port 7601 --metrics-port 7603 \
  --http-port 7604 > "$work/node.log" 2>&1 &
node=$!
for _ in $(seq 60); do curl -sf -o /dev/null http://127.0.0.1:7603/health && break; sleep 0.5; done
curl -sf -X POST -H 'Content-Type: application/json' -d '{"amount": 1}' \
  http://127.0.0.1:7604/v1/counters/bench-key:increment > /dev/null
# One gRPC message: flag 0, length 11, then field 1 (key) = "bench-key"; the same bytes are a
# GetRequest and an IncrementRequest (amount absent: 1, no request id: every call counts).
printf '\x00\x00\x00\x00\x0b\x0a\x09bench-key' > "$work/key.grpc"
printf '{}' > "$work/empty.json"
grpc=(-H 'content-type: application/grpc' -H 'te: trailers' -d "$work/key.grpc")
json=(-H 'content-type: application/json' -d "$work/empty.json")
load() { # name, then h2load arguments
  local name=$1; shift
  local rate; rate=$(h2load -D "$secs" --warm-up-time 3 -c 4 -m 16 -t 1 "$@" 2>&1 \
    | awk '/finished in/ {print $4} /requests:/ {print "succeeded=" $8 " failed=" $10}' | paste -sd' ')
  printf '%-28s %s\n' "$name" "$rate"
}
for round in 1 2; do
  echo "== round $round (req/s; 4 connections x 16 streams; $secs s after 3 s warm-up)"
  load "get grpc h2" "${grpc[@]}" http://127.0.0.1:7600/tally.v1.CounterService/Get
  load "get http h2c" http://127.0.0.1:7604/v1/counters/bench-key
  load "get http/1.1" --h1 http://127.0.0.1:7604/v1/counters/bench-key
  load "incr grpc h2" "${grpc[@]}" http://127.0.0.1:7600/tally.v1.CounterService/Increment
  load "incr http h2c" "${json[@]}" http://127.0.0.1:7604/v1/counters/bench-key:increment
  load "incr http/1.1" --h1 "${json[@]}" http://127.0.0.1:7604/v1/counters/bench-key:increment
done
