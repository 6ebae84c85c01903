#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# llm_protocol.sh: `verdict investigate --llm` end to end against a local
# server speaking the OpenAI, Anthropic and Ollama wire protocols
# (tests/llm/fakellm.py), which itself refuses malformed requests as the
# real services do; streamed and whole, the scripted investigation
# gives a model report whose steps, citations and indicators are checked
# against the store, the requests carry data blocks with fresh boundaries
# and answer the right tool calls; errors are retried or not as each
# provider's status means, a stalled reply times out, and a model that
# never answers is forced or stopped by the step budget.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/llm/fakellm.sh"

# A Stratus detonation: one CloudTrail UpdateLoginProfile by
# arn:aws:iam::763751499319:user/christophe from 212.3.253.233, which a
# Sigma rule makes a threat.
FILE=$DATA/stratus-red-team-detonations/aws.privilege-escalation.iam-update-user-login-profile.json
EVENT=a46a1a42-9ef1-48d4-9c61-507eb6d4019f
SRC_IP=212.3.253.233
LLM_KEY=test-key-protocol-0a1b2c

ingest "$FILE"
assert_rc "ingest the Stratus UpdateLoginProfile detonation" 0
THREAT=$(sqlj "SELECT id FROM threats" | sed -n 's/.*"id":"\(t-[0-9a-f]*\)".*/\1/p' | head -1)
[ -n "$THREAT" ] || die "no threat from $FILE"
PB_VERDICT=$(sql1 "SELECT verdict FROM threats WHERE id = '$THREAT'")
PB_CONFIDENCE=$(sql1 "SELECT confidence FROM threats WHERE id = '$THREAT'")
[ "$PB_VERDICT" != null ] || die "the threat has no playbook verdict"
if [ "$PB_VERDICT" = '"suspicious"' ]; then agrees=true; else agrees=false; fi

fakellm_start

# ---- the server is strict: nonsense gets the provider's own refusal ---------
OA='{"Authorization":"Bearer test-key-strict"}'
AN='{"x-api-key":"test-key-strict","anthropic-version":"2023-06-01"}'
U='{"role":"user","content":"hi"}'
CALL='{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"sql","arguments":"{}"}}]}'
TU='{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"sql","input":{}}]}'
# strict DESC PATH HEADERS BODY STATUS TEXT
strict() {
	got=$(fake_post "$2" "$3" "$4")
	case $got in
	"$5 "*"$6"*) pass "fakellm refuses $1" ;;
	*) flunk "fakellm refuses $1" "expected: $5 ...$6..." "     got: $got" ;;
	esac
}
strict "a missing key (openai)" /v1/chat/completions '{}' \
	"{\"model\":\"fake-agent\",\"messages\":[$U]}" 401 "didn't provide an API key"
strict "a tool result for an unknown call (openai)" /v1/chat/completions "$OA" \
	"{\"model\":\"fake-agent\",\"messages\":[$U,$CALL,{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"r\"}]}" \
	400 "must be a response to a preceeding message"
strict "an unanswered tool call (openai)" /v1/chat/completions "$OA" \
	"{\"model\":\"fake-agent\",\"messages\":[$U,$CALL,$U]}" 400 "did not have response messages: call_1"
strict "stream_options without stream (openai)" /v1/chat/completions "$OA" \
	"{\"model\":\"fake-agent\",\"messages\":[$U],\"stream_options\":{\"include_usage\":true}}" \
	400 "only allowed when 'stream' is enabled"
strict "a missing max_tokens (anthropic)" /v1/messages "$AN" \
	"{\"model\":\"fake-agent\",\"messages\":[$U]}" 400 "max_tokens: Field required"
strict "a missing anthropic-version" /v1/messages '{"x-api-key":"test-key-strict"}' \
	"{\"model\":\"fake-agent\",\"max_tokens\":9,\"messages\":[$U]}" 400 "anthropic-version"
strict "turns that do not alternate (anthropic)" /v1/messages "$AN" \
	"{\"model\":\"fake-agent\",\"max_tokens\":9,\"messages\":[$U,$U]}" 400 "roles must alternate"
strict "a tool_use not answered next (anthropic)" /v1/messages "$AN" \
	"{\"model\":\"fake-agent\",\"max_tokens\":9,\"messages\":[$U,$TU,$U]}" 400 "without \`tool_result\` blocks"
strict "tool arguments as a string (ollama)" /api/chat '{}' \
	'{"model":"fake-agent","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"","tool_calls":[{"function":{"name":"sql","arguments":"{}"}}]}]}' \
	400 "cannot unmarshal string"
assert_eq "refused requests are logged with their status" \
	'[401,400,400,400,400,400,400,400,400]' "$(lq '[e["status"] for e in L]' fake-agent)"

KEYS='["threat_id","engine","provider","model","verdict","confidence","summary","key_findings","next_steps","indicators","notes","steps","playbook_verdict","playbook_confidence","agrees","injection","usage","stopped"]'

# ---- the scripted investigation, each provider, streamed and whole ----------
for provider in openai anthropic ollama; do
	for stream in true false; do
		model=fake-agent-$provider-$stream
		what="$provider stream=$stream"
		llm_run $provider $stream $model "$THREAT" --format json
		assert_rc "$what: exit 0" 0
		cp "$T/out" "$T/report-$provider-$stream.json"
		assert_eq "$what: report keys in order" "$KEYS" "$(rj 'list(r)')"
		assert_eq "$what: engine, provider, model" \
			"[\"llm\",\"$provider\",\"$model\",\"$THREAT\"]" \
			"$(rj '[r["engine"], r["provider"], r["model"], r["threat_id"]]')"
		assert_eq "$what: verdict" '["suspicious",70]' \
			"$(rj '[r["verdict"], r["confidence"]]')"
		assert_eq "$what: the tool steps in order" \
			'["sql","permissions","intel","kb_search"]' \
			"$(rj '[s["kind"] for s in r["steps"]]')"
		assert_eq "$what: step ids" '["m1","m2","m3","m4"]' \
			"$(rj '[s["id"] for s in r["steps"]]')"
		assert_eq "$what: the model's query ran and found the event" \
			"[\"SELECT id, action, src_ip FROM events ORDER BY time LIMIT 5\",1,null]" \
			"$(rj '[r["steps"][0]["query"], r["steps"][0]["nrows"], r["steps"][0]["gap"]]')"
		assert_eq "$what: the prose before the first calls is its finding" \
			"\"I will look at the first events and the actor's permissions.\"" \
			"$(rj 'r["steps"][0]["finding"]')"
		assert_eq "$what: tokens and latency on every step" true \
			"$(rj 'all(isinstance(s.get(k), int) and s[k] >= 0 for s in r["steps"] for k in ("tokens_in", "tokens_out", "latency_ms")) and r["steps"][0]["tokens_in"] > 0')"
		assert_eq "$what: the real event is cited and verified" \
			"{\"text\":\"The first event of the threat shows the action.\",\"cited\":[\"$EVENT\"],\"verified\":true,\"checked\":1,\"unverified\":[]}" \
			"$(rj 'r["key_findings"][0]')"
		assert_eq "$what: the fabricated event is unverified" \
			'{"text":"A login from an unknown host preceded it.","cited":["evt-fabricated-0001"],"verified":false,"checked":1,"unverified":["evt-fabricated-0001"]}' \
			"$(rj 'r["key_findings"][1]')"
		assert_eq "$what: indicators checked against the store" \
			"[{\"value\":\"203.0.113.250\",\"verified\":false},{\"value\":\"$SRC_IP\",\"verified\":true}]" \
			"$(rj 'r["indicators"]')"
		assert_eq "$what: the playbook stays the authority" \
			"[$PB_VERDICT,$PB_CONFIDENCE,$agrees]" \
			"$(rj '[r["playbook_verdict"], r["playbook_confidence"], r["agrees"]]')"
		assert_eq "$what: answered in three requests" '["answered",3]' \
			"$(rj '[r["stopped"], r["usage"]["requests"]]')"
		assert_eq "$what: the server saw three requests" 3 \
			"$(lq 'len(L)' $model)"
		assert_eq "$what: data blocks and tool results in the requests" \
			'"ok"' "$(llm_log_check $model | sed 's/.*/"&"/')"
		# Absent means false for OpenAI and Anthropic, true for Ollama.
		if [ $provider = ollama ]; then absent=None; else absent=False; fi
		assert_eq "$what: stream flag as configured" \
			"[$stream,$stream,$stream]" \
			"$(lq "[e['body'].get('stream', $absent) for e in L]" $model)"
	done
done
assert_eq "the threat keeps its playbook verdict" "$PB_VERDICT" \
	"$(sql1 "SELECT verdict FROM threats WHERE id = '$THREAT'")"

# The stored report comes back with --show: the last run's, unchanged.
llm_run openai true fake-agent-show --show "$THREAT" --format json
assert_rc "investigate --llm --show" 0
assert_eq "--show gives the last stored model report" \
	"$(rj 'r' "$T/report-ollama-false.json")" "$(rj 'r')"
assert_eq "--show asks no model" 0 "$(lq 'len(L)' fake-agent-show)"

# ---- errors: what is retried, how often ------------------------------------
# error_case PROVIDER MODEL STATUS ATTEMPTS TEXT: the run fails with exit 1
# and "PROVIDER: HTTP STATUS: TEXT" after ATTEMPTS requests.
error_case() {
	llm_run "$1" true "$2" "$THREAT" --format json
	assert_rc "$2 ($1): exit 1" 1
	assert_contains "$2 ($1): the provider's message" \
		"$1: HTTP $3: $5" "$T/err"
	assert_eq "$2 ($1): attempts" "$4" "$(lq 'len(L)' "$2")"
}

# recover_case PROVIDER STREAM MODEL ATTEMPTS: the first turn succeeds after
# ATTEMPTS requests and the investigation finishes.
recover_case() {
	llm_run "$1" "$2" "$3" "$THREAT" --format json
	assert_rc "$3 ($1 stream=$2): recovers, exit 0" 0
	assert_eq "$3 ($1 stream=$2): the verdict" '"suspicious"' \
		"$(rj 'r["verdict"]')"
	assert_eq "$3 ($1 stream=$2): first-turn attempts" "$4" \
		"$(lq 'len(first)' "$3")"
}

for provider in openai anthropic ollama; do
	error_case $provider fake-error-400-$provider 400 1 ""
	recover_case $provider true fake-error-429-$provider 3
	assert_eq "429 ($provider): Retry-After honoured, 2 s or more" true \
		"$(lq 'first[-1]["time"] - first[0]["time"] >= 1.95' fake-error-429-$provider)"
	recover_case $provider true fake-error-500-$provider 2
	recover_case $provider false fake-overload-$provider 2
	recover_case $provider true fake-drop-$provider 2
	recover_case $provider false fake-drop-whole-$provider 2
done
# Anthropic's overload also arrives inside a started stream (an `error`
# event after message_start): a second retry.
recover_case anthropic true fake-overload-stream 3

error_case openai fake-quota-openai 429 1 "You exceeded your current quota"
error_case anthropic fake-quota-anthropic 400 1 "Your credit balance is too low"
error_case ollama fake-quota-ollama 400 1 "invalid request"

# A connection dropped every time: retries run out.
LLM_ENV="VERDICT_LLM_MAX_RETRIES=2"
llm_run openai true fake-drop-always "$THREAT" --format json
assert_rc "drop-always: exit 1" 1
assert_eq "drop-always: 1 + 2 retries" 3 "$(lq 'len(L)' fake-drop-always)"
assert_match "drop-always: a network error on stderr" \
	'^verdict: investigate --llm( [^:]*)?: openai: ' "$T/err"
LLM_ENV=

# ---- a stalled reply -----------------------------------------------------------
LLM_ENV="VERDICT_LLM_LOW_SPEED_TIME=1 VERDICT_LLM_MAX_RETRIES=0"
llm_run anthropic true fake-slow-anthropic "$THREAT" --format json
assert_rc "slow: exit 1" 1
assert_match "slow: a timeout message" \
	'^verdict: investigate --llm( [^:]*)?: anthropic: .*([Tt]ime(d)? ?out|too slow)' "$T/err"
assert_eq "slow: one attempt" 1 "$(lq 'len(L)' fake-slow-anthropic)"
LLM_ENV=

# ---- broken tool arguments ---------------------------------------------------
for provider in openai anthropic ollama; do
	for stream in true false; do
		model=fake-malformed-args-$provider-$stream
		llm_run $provider $stream $model "$THREAT" --format json
		assert_rc "malformed-args ($provider stream=$stream): finishes" 0
		assert_eq "malformed-args ($provider stream=$stream): a gap names the bad JSON" \
			true "$(rj 'bool(re.search("(?i)json", r["steps"][0]["gap"] or ""))')"
		assert_eq "malformed-args ($provider stream=$stream): then the investigation" \
			'["suspicious",["sql","sql","permissions","intel","kb_search"]]' \
			"$(rj '[r["verdict"], [s["kind"] for s in r["steps"]]]')"
		assert_eq "malformed-args ($provider stream=$stream): requests well formed" \
			'"ok"' "$(llm_log_check $model | sed 's/.*/"&"/')"
	done
done

# ---- a model that will not answer --------------------------------------------
# FORCED: the last request of a conversation forces submit_verdict, in
# the provider's own way (Ollama: no tools and its schema as `format`).
FORCED='(lambda b: b.get("tool_choice") in ({"type": "function", "function": {"name": "submit_verdict"}}, {"type": "tool", "name": "submit_verdict"}) or (isinstance(b.get("format"), dict) and not b.get("tools")))(L[-1]["body"])'
for provider in openai anthropic ollama; do
	llm_run $provider true fake-text-first-$provider "$THREAT" --format json
	assert_rc "text-first ($provider): exit 0" 0
	assert_eq "text-first ($provider): forced to answer" \
		'["forced","suspicious"]' "$(rj '[r["stopped"], r["verdict"]]')"
	assert_eq "text-first ($provider): the last request forces the verdict" \
		true "$(lq "$FORCED" fake-text-first-$provider)"

	LLM_ENV="VERDICT_LLM_MAX_STEPS=3"
	llm_run $provider true fake-loop-$provider "$THREAT" --format json
	assert_rc "loop ($provider): exit 0" 0
	assert_eq "loop ($provider): stopped by the step budget" \
		'["budget:steps",3]' "$(rj '[r["stopped"], len(r["steps"])]')"
	# The token budget: the first reply already spends 100 tokens.
	LLM_ENV="VERDICT_LLM_MAX_TOKENS=100 VERDICT_LLM_MAX_STEPS=50"
	llm_run $provider false fake-loop-tokens-$provider "$THREAT" --format json
	assert_eq "loop ($provider): stopped by the token budget" \
		'["budget:tokens","suspicious"]' "$(rj '[r["stopped"], r["verdict"]]')"
	# The first reply's call is not run: its own tokens spent the budget.
	assert_eq "loop ($provider): no step past the budget, then the forced answer" \
		'[0,2]' "$(rj '[len(r["steps"]), r["usage"]["requests"]]')"
	# The time budget: a model that stalls (10 s) is cut at 1 s and
	# made to answer. (A fast loop can spend its 200 steps first.)
	LLM_ENV="VERDICT_LLM_MAX_SECONDS=1"
	llm_run $provider true fake-slow-time-$provider "$THREAT" --format json
	assert_eq "slow ($provider): stopped by the time budget, answered" \
		'["budget:time","suspicious"]' "$(rj '[r["stopped"], r["verdict"]]')"
	assert_eq "slow ($provider): within the budget and one answer" \
		true "$(rj 'r["usage"]["seconds"] < 5')"
	LLM_ENV=
done

# The time budget holds while a request hangs: the first one is cut at the
# budget (2 s, not the 10 s the model stalls) and the verdict is forced.
LLM_ENV="VERDICT_LLM_MAX_SECONDS=2"
started=$(date +%s)
llm_run openai false fake-slow-budget "$THREAT" --format json
assert_rc "slow model, 2 s budget: exit 0" 0
assert_eq "slow model, 2 s budget: stopped by the time budget, answered" \
	'["budget:time","suspicious"]' "$(rj '[r["stopped"], r["verdict"]]')"
assert_eq "slow model, 2 s budget: over in well under the 10 s stall" 1 \
	"$(( $(date +%s) - started < 8 ))"
LLM_ENV=

finish
