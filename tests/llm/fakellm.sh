# SPDX-License-Identifier: Apache-2.0
# fakellm.sh: helpers for the console tests that run verdict against the
# local LLM protocol server (tests/llm/fakellm.py): start and stop it, run
# `investigate --llm` with the provider set through the environment, and
# read the model report and the server's request log.
#
# Sourced after tests/cli/lib.sh. The tests need python3 for the server;
# without it they are skipped (status 77, automake's SKIP).

FAKELLM=$top_srcdir/tests/llm/fakellm.py

if ! command -v python3 >/dev/null 2>&1; then
	printf 'SKIP: %s: python3 not found (needed by tests/llm/fakellm.py)\n' \
		"$test_name"
	exit 77
fi

# fakellm_start [SERVER OPTIONS]: the server on a free port in $PORT, its
# log in $LLM_LOG; it is killed when the test exits, whatever way it exits.
fakellm_start() {
	LLM_LOG=$T/llm.log
	python3 "$FAKELLM" --port-file "$T/llm.port" --log "$LLM_LOG" "$@" \
		2>"$T/llm.err" &
	fake_pid=$!
	trap 'kill "$fake_pid" 2>/dev/null; rm -rf "$T"' EXIT
	tries=0
	while [ ! -s "$T/llm.port" ]; do
		tries=$((tries + 1))
		[ "$tries" -le 50 ] ||
			die "fakellm did not start in 5 s: $(cat "$T/llm.err")"
		sleep 0.1
	done
	PORT=$(cat "$T/llm.port")
}

# llm_url PROVIDER: the base URL the client is given for that provider.
llm_url() {
	case $1 in
	openai) printf 'http://127.0.0.1:%s/v1' "$PORT" ;;
	*) printf 'http://127.0.0.1:%s' "$PORT" ;;
	esac
}

# llm_run PROVIDER STREAM MODEL ARGS...: `verdict investigate --llm ARGS`
# against the server; stdout in $T/out, stderr in $T/err, status in $rc.
# $LLM_KEY is the key (none for Ollama) and $LLM_ENV holds extra
# NAME=value settings, split on blanks.
llm_run() {
	provider=$1 stream=$2 model=$3
	shift 3
	key=
	[ "$provider" = ollama ] || key="VERDICT_LLM_API_KEY=$LLM_KEY"
	status=0
	# shellcheck disable=SC2086 # LLM_ENV is a list of settings
	env VERDICT_LLM_PROVIDER="$provider" VERDICT_LLM_URL="$(llm_url "$provider")" \
		VERDICT_LLM_MODEL="$model" VERDICT_LLM_STREAM="$stream" \
		VERDICT_LLM_BACKOFF_MS=50 $key ${LLM_ENV:-} \
		"$VERDICT" --db "$DB" investigate --llm "$@" \
		>"$T/out" 2>"$T/err" || status=$?
	sane "$status" "$T/err" "investigate --llm ($provider, $model)"
	rc=$status
}

# rj EXPR [FILE]: a Python expression over the model report `r` (the first
# JSON object line of FILE, default $T/out), printed as compact JSON.
rj() {
	python3 - "$1" "${2:-$T/out}" <<'EOF'
import json, sys
r = None
for line in open(sys.argv[2], encoding="utf-8", errors="replace"):
    line = line.strip()
    if line.startswith("{"):
        try:
            r = json.loads(line)
            break
        except ValueError:
            pass
try:
    v = eval(sys.argv[1], {"r": r, "re": __import__("re"), "json": json})
except Exception as e:
    v = "error: %s: %s" % (type(e).__name__, e)
print(json.dumps(v, separators=(",", ":")))
EOF
}

# lq EXPR MODEL: a Python expression over the server's log entries `L` for
# one model name (in order), printed as compact JSON. Helpers: `first`, the
# entries made for the conversation's first turn (no assistant turn yet).
lq() {
	python3 - "$1" "$2" "$LLM_LOG" <<'EOF'
import json, re, sys
L = []
for line in open(sys.argv[3], encoding="utf-8"):
    e = json.loads(line)
    if isinstance(e.get("body"), dict) and e["body"].get("model") == sys.argv[2]:
        L.append(e)
def first_turn(e):
    return not any(m.get("role") == "assistant"
                   for m in e["body"].get("messages") or [])
first = [e for e in L if first_turn(e)]
try:
    v = eval(sys.argv[1], {"L": L, "first": first, "re": re, "json": json})
except Exception as e:
    v = "error: %s: %s" % (type(e).__name__, e)
print(json.dumps(v, separators=(",", ":")))
EOF
}

# llm_log_check MODEL: the requests made for MODEL, read from the log:
# telemetry only inside data blocks whose 32-hex boundary is one per
# request, named by the system prompt and new in every request; every tool
# result inside a block and answering a call the server made earlier, and
# the assistant turns sent back carrying exactly the calls it made. Prints
# "ok" or the first thing wrong.
llm_log_check() {
	python3 - "$1" "$LLM_LOG" <<'EOF'
import json, re, sys
BEGIN = re.compile(r"-----BEGIN DATA ([0-9a-f]{32}) [^\n]*-----")
END = re.compile(r"-----END DATA ([0-9a-f]{32})-----")
ANY = re.compile(r"-----(?:BEGIN|END) DATA ")

def text_of(c):
    if isinstance(c, str):
        return c
    if isinstance(c, list):
        return "".join(text_of(b.get("text", b.get("content", "")))
                       for b in c if isinstance(b, dict))
    return ""

def parts(path, body):
    """(system text, [user/tool texts], [(result id, text)], [call ids])"""
    system, texts, results, calls = "", [], [], []
    if path.endswith("/messages"):
        system = text_of(body.get("system", ""))
    for m in body.get("messages", []):
        role, c = m.get("role"), m.get("content")
        if role == "system":
            system += text_of(c)
        elif role == "assistant":
            for tc in m.get("tool_calls") or []:
                calls.append(tc.get("id") or tc["function"]["name"])
            if isinstance(c, list):
                calls += [b["id"] for b in c if b.get("type") == "tool_use"]
        elif role == "tool":
            results.append((m.get("tool_call_id") or m.get("tool_name"),
                            text_of(c)))
        elif isinstance(c, list) and path.endswith("/messages"):
            for b in c:
                if b.get("type") == "tool_result":
                    results.append((b["tool_use_id"], text_of(b.get("content"))))
                else:
                    texts.append(text_of([b]))
        else:
            texts.append(text_of(c))
    return system, texts, results, calls

def check(model, log):
    seen, issued, n = set(), [], 0
    for line in open(log, encoding="utf-8"):
        e = json.loads(line)
        body = e.get("body")
        if not isinstance(body, dict) or body.get("model") != model:
            continue
        n += 1
        system, texts, results, calls = parts(e["path"], body)
        alltext = "".join(texts) + "".join(t for _, t in results)
        bounds = set(BEGIN.findall(alltext))
        if len(bounds) != 1:
            return "request %d: %d data-block boundaries" % (n, len(bounds))
        b = bounds.pop()
        if len(BEGIN.findall(alltext)) != len(END.findall(alltext)) or \
           set(END.findall(alltext)) != {b}:
            return "request %d: BEGIN/END markers do not pair" % n
        if len(ANY.findall(alltext)) != 2 * len(BEGIN.findall(alltext)):
            return "request %d: a stray DATA marker" % n
        if b not in system:
            return "request %d: the system prompt does not name %s" % (n, b)
        if b in seen:
            return "request %d: boundary %s reused" % (n, b)
        seen.add(b)
        for rid, t in results:
            if not BEGIN.search(t):
                return "request %d: tool result %s outside a data block" % (n, rid)
        want = [i or nm for i, nm in issued]
        if calls != want:
            return "request %d: assistant calls %s, server made %s" % (n, calls, want)
        if [r for r, _ in results] != want:
            return "request %d: results answer %s, server made %s" % (
                n, [r for r, _ in results], want)
        issued += [c for c in e.get("calls", []) if e["status"] == 200]
    return "ok" if n else "no requests for %s" % model

print(check(sys.argv[1], sys.argv[2]))
EOF
}

# fake_post PATH HEADERS BODY: POST BODY (JSON text) with HEADERS (a JSON
# object) to the server; prints the status and the body's error message,
# for checking that the server itself refuses what the real service would.
fake_post() {
	python3 - "$PORT" "$1" "$2" "$3" <<'EOF'
import http.client, json, sys
port, path, headers, body = sys.argv[1:]
h = {"Content-Type": "application/json"}
h.update(json.loads(headers))
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
c.request("POST", path, body.encode(), h)
r = c.getresponse()
data = json.loads(r.read())
err = data.get("error")
msg = err.get("message") if isinstance(err, dict) else err
print("%d %s" % (r.status, msg))
EOF
}
