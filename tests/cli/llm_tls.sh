#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# llm_tls.sh: TLS to the model is always verified. The local OpenAI
# protocol server serves HTTPS with a certificate from a CA made here:
# unknown to the system, the connection is refused (and no request is
# made); with ca_file naming the CA it works; with the CA but a host name
# the certificate does not carry, it is refused again.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/llm/fakellm.sh"

command -v openssl >/dev/null 2>&1 || {
	printf 'skip - openssl is not installed\n'
	exit 77
}

# A CA, and a server certificate it signs for the address 127.0.0.1 only.
(
	cd "$T" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=verdict test CA" \
		-keyout ca.key -out ca.pem &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout srv.key -out srv.csr &&
	printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days 2 -extfile srv.ext -out srv.pem
) >"$T/openssl.log" 2>&1 || die "openssl: $(cat "$T/openssl.log")"

fakellm_start --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
LLM_KEY=test-key-tls

vrun --db "$DB" ingest --no-progress "$DATA/falco-k8s-audit-fixtures"
[ "$rc" -eq 0 ] || die "ingest: $(cat "$T/err")"
id=$(sql1 "SELECT id FROM threats ORDER BY id LIMIT 1" | tr -d '"')

requests() {
	grep -c '"path"' "$LLM_LOG" 2>/dev/null || true
}

# An unknown CA: refused before any request.
LLM_ENV="VERDICT_LLM_URL=https://127.0.0.1:$PORT/v1 VERDICT_LLM_MAX_RETRIES=0"
llm_run openai false fake-agent-tls1 "$id"
assert_eq "unknown CA: the investigation fails (exit 1)" 1 "$rc"
assert_contains "unknown CA: the message says the certificate was not trusted" \
	"certificate" "$T/err"
assert_eq "unknown CA: no request reached the server" 0 "$(requests)"

# ca_file trusts the CA.
LLM_ENV="VERDICT_LLM_URL=https://127.0.0.1:$PORT/v1 VERDICT_LLM_CA_FILE=$T/ca.pem"
llm_run openai true fake-agent-tls2 "$id" --format json
assert_eq "with ca_file: the investigation finishes" 0 "$rc"
assert_eq "with ca_file: the model's verdict is read" '"suspicious"' "$(rj 'r["verdict"]')"

# The right CA, the wrong name: the certificate is for 127.0.0.1 only.
n=$(requests)
LLM_ENV="VERDICT_LLM_URL=https://localhost:$PORT/v1 VERDICT_LLM_CA_FILE=$T/ca.pem VERDICT_LLM_MAX_RETRIES=0"
llm_run openai false fake-agent-tls3 "$id"
assert_eq "wrong host name: the investigation fails (exit 1)" 1 "$rc"
assert_eq "wrong host name: no request reached the server" "$n" "$(requests)"

finish
