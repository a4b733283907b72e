# The sfemu emulator as an image, from a static binary: no base image is
# pulled (no registry is reachable), nothing is compiled in here. From the
# repository root:
#
#   CGO_ENABLED=0 go build -o build/sfemu ./cmd/sfemu
#   docker build -f build/sfemu.Dockerfile -t sfemu:dev build/
#
# (Only sfemu: the scenario harness, sfemu-harness, is not in the image; sfemu
# run outside drives the image with --emulator.)
#
# (Go tests build it with sfemucontainer.BuildImage; see docs/CONTAINERS.md.)
#
# With no arguments it serves the embedded default org. Extra arguments are
# `sfemu serve` flags, and every flag can be an environment variable instead
# (SFEMU_ORG, SFEMU_LISTEN, SFEMU_ENDPOINT, SFEMU_CLOCK_START…; a flag wins),
# which is how a GitHub Actions `services:` container, which takes no
# arguments, is configured (docs/CONTAINERS.md). The listener is set by
# SFEMU_LISTEN below, not a flag, so that `-e SFEMU_LISTEN=…` can move it;
# the health check follows it. Fixtures go in with `--org /fixtures/x.yaml`, and the
# certificate paths inside a fixture are relative to the fixture, so copy the
# certificates next to it (sfemucontainer.WithFixture copies both). Set
# `--public-url` to the address clients reach the container at, e.g.
#   docker run -p 127.0.0.1:8085:8085 sfemu:dev --public-url http://127.0.0.1:8085
#
# The control API (/_sfemu/: reset, sessions, sends) asks for no token
# here: SFEMU_CONTROL_OPEN=true below says only you reach the port, which
# holds when it is published on 127.0.0.1 as above. `-p 8085:8085` publishes
# it on every interface of the host: then give a token,
#   docker run -p 8085:8085 -e SFEMU_CONTROL_TOKEN="$(openssl rand -hex 16)" sfemu:dev
# and the same $SFEMU_CONTROL_TOKEN to sfemu send/queue/run (docs/CONTROL.md,
# "Security"). The health check needs none.
#
# https (docs/TLS.md) beside http, which the health check below needs:
#   docker run -p 127.0.0.1:8085:8085 -p 127.0.0.1:8443:8443 sfemu:dev --tls-listen 0.0.0.0:8443
# A scratch image has no home for the local CA, so SFEMU_TLS_DIR puts it in
# /tls: mount a directory there to keep one CA across containers (your
# ~/.config/sfemu/tls shares the host's). Where /tls cannot be written
# (--read-only, another user) the CA lives in memory, one per start, and
# GET /_sfemu/tls/ca.pem serves it. Add --tls-name NAME for the names
# clients use (a network alias).
FROM scratch
COPY sfemu /sfemu
ENV SFEMU_TLS_DIR=/tls SFEMU_LISTEN=0.0.0.0:8085 SFEMU_CONTROL_OPEN=true
EXPOSE 8085 8443
# `sfemu health` GETs http://127.0.0.1:PORT/_sfemu/health, PORT from
# SFEMU_LISTEN (2 s timeout), and exits 0 only on 200: fixtures loaded. A
# scratch image has no curl.
HEALTHCHECK --interval=1s --timeout=2s --retries=30 CMD ["/sfemu", "health"]
ENTRYPOINT ["/sfemu", "serve"]
