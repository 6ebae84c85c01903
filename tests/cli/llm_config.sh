#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# llm_config.sh: how `verdict investigate --llm` finds its model and key:
# nothing configured is a usage error naming what to set; a key file
# readable by others is refused naming the file, a private one works, from
# the environment or the config file; and the key never shows in the trace,
# the report, the store or stderr, even when the server echoes it back.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/llm/fakellm.sh"

FILE=$DATA/stratus-red-team-detonations/aws.privilege-escalation.iam-update-user-login-profile.json
# A key unlikely to occur anywhere by chance.
SECRET=test-key-S3CR3T-7f3a9c1e5b
WRONG=sk-live-WR0NG-4d2e8b6a1f

ingest "$FILE"
assert_rc "ingest the Stratus UpdateLoginProfile detonation" 0
THREAT=$(sqlj "SELECT id FROM threats" | sed -n 's/.*"id":"\(t-[0-9a-f]*\)".*/\1/p' | head -1)
[ -n "$THREAT" ] || die "no threat from $FILE"

fakellm_start
URL=$(llm_url openai)

# bare ARGS...: verdict with no VERDICT_LLM_* setting but what the caller
# exports for the one run.
bare() {
	status=0
	env -u VERDICT_LLM_PROVIDER -u VERDICT_LLM_URL -u VERDICT_LLM_MODEL \
		-u VERDICT_LLM_API_KEY -u VERDICT_LLM_API_KEY_FILE \
		-u OPENAI_API_KEY -u ANTHROPIC_API_KEY ${LLM_ENV:-} \
		"$VERDICT" --db "$DB" "$@" >"$T/out" 2>"$T/err" || status=$?
	sane "$status" "$T/err" "$*"
	rc=$status
}

# ---- nothing configured ----------------------------------------------------------
LLM_ENV=
bare investigate --llm "$THREAT"
assert_rc "no provider: a usage error" 2
assert_match "no provider: says what to set" \
	'VERDICT_LLM_PROVIDER|provider' "$T/err"
assert_contains "no provider: names the config file" \
	"$XDG_CONFIG_HOME/verdict/config" "$T/err"
assert_eq "no provider: no request made" 0 "$(wc -l <"$LLM_LOG" | tr -d ' ')"

# ---- the key file's mode ------------------------------------------------------------
printf '%s\n' "$SECRET" >"$T/key"
chmod 0644 "$T/key"
LLM_ENV="VERDICT_LLM_PROVIDER=openai VERDICT_LLM_URL=$URL VERDICT_LLM_MODEL=fake-agent-mode VERDICT_LLM_API_KEY_FILE=$T/key"
bare investigate --llm "$THREAT"
assert_rc "key file 0644: refused" 2
assert_contains "key file 0644: the file is named" "$T/key" "$T/err"
assert_eq "key file 0644: no request made" 0 "$(lq 'len(L)' fake-agent-mode)"

chmod 0600 "$T/key"
bare investigate --llm "$THREAT" --format json
assert_rc "key file 0600: works" 0
assert_eq "key file 0600: the key is sent" \
	"\"Bearer $SECRET\"" "$(lq 'L[0]["headers"].get("Authorization")' fake-agent-mode)"
assert_eq "key file 0600: the investigation ran" '"suspicious"' \
	"$(rj 'r["verdict"]')"

# The provider's usual variable.
LLM_ENV="VERDICT_LLM_PROVIDER=anthropic VERDICT_LLM_URL=$(llm_url anthropic) VERDICT_LLM_MODEL=fake-agent-envkey ANTHROPIC_API_KEY=$SECRET"
bare investigate --llm "$THREAT" --format json
assert_rc "ANTHROPIC_API_KEY: works" 0
assert_eq "ANTHROPIC_API_KEY: sent as x-api-key" "\"$SECRET\"" \
	"$(lq 'L[0]["headers"].get("x-api-key")' fake-agent-envkey)"

# ---- the config file ------------------------------------------------------------------
mkdir -p "$XDG_CONFIG_HOME/verdict"
cat >"$XDG_CONFIG_HOME/verdict/config" <<EOF
# verdict's model, for the tests
[llm]
provider = ollama
url = $(llm_url ollama)
model = fake-agent-config
stream = false
max_retries = 1
EOF
LLM_ENV=
bare investigate --llm "$THREAT" --format json
assert_rc "config file: works" 0
assert_eq "config file: its model and stream setting" '["fake-agent-config",false]' \
	"$(lq '[L[0]["body"]["model"], L[0]["body"]["stream"]]' fake-agent-config)"

# A bad line is named by file and line, and nothing is asked of a model.
CFG=$XDG_CONFIG_HOME/verdict/config
bad_config() {
	printf '[llm]\nprovider = openai\nmodel = fake-agent-badcfg\n%s\n' "$2" >"$CFG"
	bare investigate --llm "$THREAT"
	assert_rc "config $1: a usage error" 2
	assert_contains "config $1: file and line named" "$CFG:4:" "$T/err"
	assert_contains "config $1: says what is wrong" "$3" "$T/err"
}
bad_config "api_key" "api_key = sk-in-the-file" "keys do not belong in the configuration file"
assert_lacks "config api_key: the key is not repeated" "sk-in-the-file" "$T/err"
bad_config "unknown setting" "temprature = 0.2" "unknown setting \`temprature\`"
bad_config "bad number" "max_steps = many" "\`max_steps\`: \"many\" is not a whole number from 1 to 200"
bad_config "bad provider" "provider = gemini" "\`provider\`: \"gemini\" is not openai, anthropic or ollama"
bad_config "empty model" "model =" "\`model\`: empty"
assert_eq "bad config: no request made" 0 "$(lq 'len(L)' fake-agent-badcfg)"
# A key in the file is refused whatever the section is called.
printf '[LLM]\napi_key = sk-upper\n' >"$CFG"
bare investigate --llm "$THREAT"
assert_rc "config [LLM] api_key: refused" 2
assert_contains "config [LLM] api_key: file and line named" "$CFG:2:" "$T/err"
rm -f "$CFG"

# ~/ in a file setting is the home directory.
mkdir -p "$HOME/.config/verdict"
printf 'test-key-tilde\n' >"$HOME/.config/verdict/openai.key"
chmod 600 "$HOME/.config/verdict/openai.key"
printf '[llm]\nprovider = openai\nurl = %s\nmodel = fake-agent-tilde\napi_key_file = ~/.config/verdict/openai.key\n' \
	"$(llm_url openai)" >"$CFG"
bare investigate --llm "$THREAT" --format json
assert_rc "config: ~/ in api_key_file is the home directory" 0
assert_eq "config: the key from ~/ is sent" '"Bearer test-key-tilde"' \
	"$(lq 'L[0]["headers"].get("Authorization")' fake-agent-tilde)"
rm -f "$CFG"

# A FIFO as the key file is refused at once, not read forever.
mkfifo "$T/key.fifo"
LLM_ENV="VERDICT_LLM_PROVIDER=openai VERDICT_LLM_URL=$(llm_url openai) VERDICT_LLM_MODEL=fake-agent-fifo VERDICT_LLM_API_KEY_FILE=$T/key.fifo"
bare investigate --llm "$THREAT"
assert_rc "key file FIFO: refused" 2
assert_contains "key file FIFO: not a regular file" "not a regular file" "$T/err"
LLM_ENV=
rm -f "$CFG"

# ---- the key stays secret -------------------------------------------------------------
# Each run traces to its own file; the server echoes the key in error
# bodies (wrong key: 401; echo-key: 400) and the headers carry it.
secret_run() {
	LLM_ENV="VERDICT_TRACE=$T/trace-$1 VERDICT_LLM_PROVIDER=$2 VERDICT_LLM_URL=$(llm_url "$2") VERDICT_LLM_MODEL=$3 VERDICT_LLM_API_KEY=$4 VERDICT_LLM_MAX_RETRIES=0"
	bare investigate --llm "$THREAT" --format json
	cp "$T/out" "$T/out-$1"
	cp "$T/err" "$T/err-$1"
}

secret_run ok openai fake-agent-secret "$SECRET"
assert_rc "secret: the run works" 0
secret_run wrong openai fake-agent-wrong "$WRONG"
assert_rc "wrong key: the provider refuses" 1
assert_contains "wrong key: the 401 is reported" "openai: HTTP 401" "$T/err"
assert_contains "wrong key: the server did echo the key" "$WRONG" "$LLM_LOG"
secret_run echo anthropic fake-echo-key "$SECRET"
assert_rc "echoed key: the provider refuses" 1
assert_contains "echoed key: the 400 is reported" "anthropic: HTTP 400" "$T/err"
assert_contains "echoed key: the message is kept, the key redacted" \
	"[redacted]" "$T/err"

for run in ok wrong echo; do
	[ "$run" = wrong ] && key=$WRONG || key=$SECRET
	if [ -s "$T/trace-$run" ]; then
		pass "trace ($run): written"
	else
		flunk "trace ($run): written" "VERDICT_TRACE=$T/trace-$run left no trace"
	fi
	assert_lacks "trace ($run): no key" "$key" "$T/trace-$run"
	assert_lacks "stderr ($run): no key" "$key" "$T/err-$run"
	assert_lacks "report ($run): no key" "$key" "$T/out-$run"
done
assert_contains "trace: the key header is shown redacted" "[redacted]" \
	"$T/trace-ok"
for f in "$DB" "$DB-wal" "$DB-journal"; do
	[ -f "$f" ] || continue
	if grep -aqF -e "$SECRET" -e "$WRONG" "$f"; then
		flunk "store $(basename "$f"): no key" "the key is in $f"
	else
		pass "store $(basename "$f"): no key"
	fi
done
vrun --db "$DB" investigate --llm --show "$THREAT" --format json
assert_lacks "stored report: no key" "$SECRET" "$T/out"

finish
