#!/usr/bin/env bash
# Builds the Python receiver's image, sfemu-python-receiver:dev, FROM scratch:
# no base image is pulled (no registry is reachable). The image holds this
# machine's own python3, the shared libraries it and the extension modules the
# receiver uses load (found with ldd), the standard library without its tests,
# IDLE, Tk and caches, and receiver.py. Then it starts the image once and
# checks GET /health.
#
#   examples/python-receiver/build-image.sh [TAG]
#
# Needs: bash, python3, ldd, tar, docker, curl. No CA certificates go in: the
# receiver reaches sfemu over http (add /etc/ssl/certs for a real org).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-sfemu-python-receiver:dev}
python=$(readlink -f /usr/bin/python3)                 # /usr/bin/python3.11
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
stdlib=/usr/lib/python$version
ctx=$(mktemp -d "${TMPDIR:-/tmp}/sfemu-python-receiver-image.XXXXXX")
container=""
cleanup() {
  [ -n "$container" ] && docker rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$ctx"
}
trap cleanup EXIT
root=$ctx/rootfs
mkdir -p "$root/usr/bin" "$root/app" "$root$stdlib/lib-dynload"

# The interpreter, as /usr/bin/python3.
cp "$python" "$root/usr/bin/python3"

# The standard library (pure Python), without what a server never imports.
# sitecustomize.py is Debian's symlink into /etc: left out, it is optional.
tar -C / -cf - \
  --exclude="${stdlib#/}/lib-dynload" --exclude="${stdlib#/}/config-*" \
  --exclude="${stdlib#/}/test" --exclude="${stdlib#/}/idlelib" --exclude="${stdlib#/}/tkinter" \
  --exclude="${stdlib#/}/turtledemo" --exclude="${stdlib#/}/ensurepip" --exclude="${stdlib#/}/lib2to3" \
  --exclude="${stdlib#/}/pydoc_data" --exclude="${stdlib#/}/distutils" --exclude="${stdlib#/}/venv" \
  --exclude="${stdlib#/}/site-packages" --exclude="${stdlib#/}/dist-packages" \
  --exclude="${stdlib#/}/sitecustomize.py" --exclude="*/test" --exclude="*/tests" --exclude="__pycache__" \
  "${stdlib#/}" | tar -C "$root" -xf -

# The extension modules (lib-dynload/*.so) the receiver loads: the host's
# python imports it, and everything it may import later (ssl for https,
# idna for host names), and lists the .so files it loaded.
modules=$(cd "$here" && "$python" -B -c '
import sys
import receiver, ssl, hashlib, json, encodings.idna, http.server, urllib.request
print("\n".join(sorted({m.__file__ for m in list(sys.modules.values())
                        if (getattr(m, "__file__", None) or "").endswith(".so")})))')
for so in $modules; do cp "$so" "$root$stdlib/lib-dynload/"; done

# Every shared library the interpreter and those modules load, the dynamic
# loader included, at the paths ldd resolves them to.
for lib in $( { ldd "$python"; for so in $modules; do ldd "$so"; done; } |
              awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cp "$here/receiver.py" "$root/app/receiver.py"

cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
# PYTHONHOME: the standard library is at /usr/lib/python$version, as on the host.
# No .pyc files are written: the image's file system may be read-only.
ENV PYTHONHOME=/usr PYTHONDONTWRITEBYTECODE=1 RECEIVER_LISTEN=0.0.0.0:8080 PORT=8080
EXPOSE 8080
LABEL org.sfemu.image=python-receiver
ENTRYPOINT ["/usr/bin/python3", "-u", "/app/receiver.py"]
EOF

previous=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
if ! docker build -t "$tag" "$ctx" >"$ctx/build.log" 2>&1; then
  cat "$ctx/build.log" >&2
  exit 1
fi
# The image this tag named before, now untagged: remove it unless a container uses it.
if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
  docker rmi "$previous" >/dev/null 2>&1 || true
fi
echo "built $tag: $(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.1f MB", $1 / 1e6 }')"

# Verify: start it with the test-only keys, port published on 127.0.0.1 only.
keys=$(cd "$here/../../fixtures/keys" && pwd)
container=$(docker run -d -p 127.0.0.1::8080 -v "$keys:/keys:ro" \
  -e SF_LOGIN_URL=http://127.0.0.1:8085 -e SF_ORG_ID=00Dxx0000000001 \
  -e SF_CONSUMER_KEY=3MVG9sfemuDefaultTestOnlyConsumerKey.receiver -e SF_USERNAME=sender@sfemu.example \
  -e SF_PRIVATE_KEY_FILE=/keys/server.key "$tag")
port=$(docker port "$container" 8080/tcp | head -n 1)
for _ in $(seq 50); do
  if [ "$(curl -fsS "http://$port/health" 2>/dev/null)" = ok ]; then
    docker stop -t 10 "$container" >/dev/null
    status=$(docker inspect -f '{{.State.ExitCode}}' "$container")
    [ "$status" = 0 ] || { echo "the receiver exited with status $status after SIGTERM" >&2; docker logs "$container" >&2; exit 1; }
    echo "verified: GET http://$port/health answered ok; SIGTERM stopped it with status 0"
    exit 0
  fi
  sleep 0.2
done
echo "GET /health never answered ok; the container's log:" >&2
docker logs "$container" >&2
exit 1
