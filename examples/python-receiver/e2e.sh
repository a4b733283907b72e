#!/usr/bin/env bash
# Runs the whole scenario catalogue against the Python receiver in the three
# ways a team can run its own (docs/RECEIVERS.md): as a process sfemu starts
# (cmd:), as a container image built locally (container:), and as a server
# that is already running (url:). It shares no code with sfemu: what passes
# here passes on the contract alone. JUnit reports go to out/.
#
#   examples/python-receiver/e2e.sh [cmd|container|url]...   (default: all three)
#
# Needs bin/sfemu (make build) and python3; container: needs a Docker engine
# (with CI=true a missing one fails, elsewhere that part is skipped).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=examples/python-receiver
profile=$here/profile.yaml
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(cmd container url)
mkdir -p out
status=0
failed=() # the modes that failed: their failures are printed again at the end, for a CI log's tail

# run MODE ARGS…: `sfemu run ARGS…`, its output kept in out/python-MODE.log too.
run() {
  local mode=$1; shift
  bin/sfemu run "$@" 2>&1 | tee "out/python-$mode.log" || { status=1; failed+=("$mode"); }
}

for mode in "${modes[@]}"; do
  echo "== the Python receiver as $mode:"
  case $mode in
    cmd)
      run cmd --profile "$profile" --receiver "cmd:python3 -u $here/receiver.py" \
        --junit out/junit-python-cmd.xml scenarios
      ;;
    container)
      if ! docker info >/dev/null 2>&1; then
        if [ "${CI:-}" = true ]; then echo "CI=true and no Docker engine answers" >&2; status=1; failed+=(container); continue; fi
        echo "(no Docker engine: skipped)"; continue
      fi
      "$here/build-image.sh" sfemu-python-receiver:dev
      run container --profile "$profile" --receiver container:sfemu-python-receiver:dev \
        --junit out/junit-python-container.xml scenarios
      ;;
    url)
      # A receiver someone else runs, configured once for the address every
      # scenario's emulator listens on, and the default fixture's org.
      emulator=127.0.0.1:18085 port=18090
      SF_LOGIN_URL=http://$emulator SF_AUDIENCE=https://login.salesforce.com SF_ORG_ID=00Dxx0000000001EAA \
      SF_CONSUMER_KEY=3MVG9sfemuDefaultTestOnlyConsumerKey.receiver SF_USERNAME=sender@sfemu.example \
      SF_PRIVATE_KEY_FILE=fixtures/keys/server.key PORT=$port \
        python3 -u "$here/receiver.py" 2>out/python-receiver-url.log &
      pid=$!
      trap 'kill $pid 2>/dev/null || true' EXIT
      for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
      run url --profile "$profile" --receiver "url:http://127.0.0.1:$port/notifications" \
        --emulator-listen "$emulator" --junit out/junit-python-url.xml scenarios
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      trap - EXIT
      ;;
    *) echo "unknown mode $mode: want cmd, container or url" >&2; exit 2 ;;
  esac
done
for mode in "${failed[@]}"; do
  echo "== the Python receiver failed as $mode:"
  if [ -f "out/python-$mode.log" ]; then sed -n '/^--- \(FAIL\|ERROR\) /,$p' "out/python-$mode.log"; fi
done
exit $status
