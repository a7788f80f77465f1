# tally-runtime:17 -- the local stand-in for eclipse-temurin:17-jre on machines
# without a registry: Debian bookworm (tally-base:bookworm, made by
# build-runtime-image.sh with debootstrap) plus a headless JRE 17 and the tools
# the chaos suite drives inside containers: iptables (partitions), iproute2
# (tc netem: latency and loss) and procps (ps/pgrep for diagnostics).
# Build it with build-runtime-image.sh, not by hand: the script makes the base.
ARG BASE_IMAGE=tally-base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jre-headless iptables iproute2 procps \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
CMD ["/bin/bash"]
