#!/usr/bin/env bash
# TLS on vs off, same machine, same run: two single nodes (one plaintext, one TLS + tokens), bench alternating.
set -u
T=/work/main/bin/tally
cd /tmp/bt && rm -rf data certs tokens.yaml && mkdir -p certs
$T certs create --dir certs --hosts 127.0.0.1,localhost --names plain,secure >/dev/null 2>&1
$T token create --name bench --role read --role write > tok.out 2>/dev/null; tail -n +2 tok.out > tokens.yaml; export TOK=$(head -1 tok.out)
$T node --name plain --data-dir data/plain --port 7500 --peer-port 7501 --metrics-port 7503 > plain.log 2>&1 &
$T node --name secure --data-dir data/secure --port 7510 --peer-port 7511 --metrics-port 7513 \
  --tls-cert certs/secure.pem --tls-key certs/secure-key.pem --tls-ca certs/ca.pem --auth-tokens tokens.yaml > secure.log 2>&1 &
sleep 10
for round in 1 2; do
  for w in incr get; do
    echo "== round $round $w plaintext"; $T bench --target 127.0.0.1:7500 --workload $w --duration 15s --warmup 5s --request-ids --quiet 2>&1 | grep -E "throughput|p50|p99|calls" | head -4
    echo "== round $round $w TLS+token"; TALLY_TOKEN=$TOK $T bench --target 127.0.0.1:7510 --ca certs/ca.pem --workload $w --duration 15s --warmup 5s --request-ids --quiet 2>&1 | grep -E "throughput|p50|p99|calls" | head -4
  done
done
pkill -f "data/plain"; pkill -f "data/secure"
