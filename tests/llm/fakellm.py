#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# fakellm: a local server speaking the wire protocols of OpenAI chat
# completions, Anthropic Messages and Ollama chat, with scripted model
# behaviour chosen by the model name, for verdict's end-to-end tests.
#
#   python3 tests/llm/fakellm.py --port-file F --log L
#
# It binds 127.0.0.1 on a free port, writes the port to F once listening and
# serves until killed. Requests are validated the way the real services do
# and a malformed one gets that provider's 400 (or 401), so a client cannot
# pass by sending nonsense. Every request is appended to L as one JSON line:
# {path, headers, body, scenario, attempt, status, time, calls} where calls
# lists the [id, name] of the tool calls this reply made.
#
# The model name "fake-<scenario>[-<tag>]" picks the behaviour; the tag only
# separates the per-model-name attempt counters. Scenarios: see SCENARIOS.
# Standard library only.

import argparse
import http.server
import json
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
import uuid

SCENARIOS = (
	"agent", "text-first", "loop", "obey", "error-400", "error-429",
	"quota", "error-500", "overload", "malformed-args", "slow", "drop",
	"drop-always", "echo-key", "script",
)

SUBMIT = "submit_verdict"
FABRICATED_ID = "evt-fabricated-0001"
FOREIGN_IP = "203.0.113.250"
BROKEN_ARGS = '{"query": "SELECT id FROM'
ANTHROPIC_VERSION = "2023-06-01"
TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
DATA_RE = re.compile(
	r"-----BEGIN DATA ([0-9a-f]{32}) ([^\n]*)-----\n(.*?)-----END DATA \1-----",
	re.S)
INSTRUCTION_RE = re.compile(
	r"\bbenign\b|\bignore\b|\bdisregard\b|authori[sz]ed test", re.I)
TOOL_ASK_RE = re.compile(r"\b(DELETE|DROP)\b")

# The slow scenario: bytes sent before the stall, and the stall (seconds).
# curl measures the current speed over its last five one-second samples,
# uploads included, so a stall shorter than about 5 s plus the low-speed
# time goes unnoticed by a 1 byte/s limit: 10 s leaves a margin.
SLOW_FIRST = 1
SLOW_STALL = 10

# Odd piece sizes so that stream lines, and UTF-8 sequences, split across
# TCP reads at varying places.
PIECES = (7, 1, 13, 3, 29, 5, 61, 2, 17)


class BadRequest(Exception):
	"""A request the real service would refuse with this status."""

	def __init__(self, message, status=400, kind="invalid_request_error",
		     param=None, code=None):
		super().__init__(message)
		self.message = message
		self.status = status
		self.kind = kind
		self.param = param
		self.code = code


def need(cond, message, **kw):
	if not cond:
		raise BadRequest(message, **kw)


def dumps(obj):
	"""Compact JSON, as the services write it."""
	return json.dumps(obj, separators=(",", ":"))


JSON_TYPES = {dict: "an object", list: "an array", str: "a string",
	      int: "an integer", float: "a number", bool: "a boolean",
	      type(None): "null"}


def json_type(v):
	return JSON_TYPES.get(type(v), type(v).__name__)


def go_type(v):
	"""The JSON kind as Go's encoding/json names it in its errors."""
	return {dict: "object", list: "array", str: "string", bool: "bool",
		int: "number", float: "number"}.get(type(v), "null")


def is_int(v):
	return isinstance(v, int) and not isinstance(v, bool)


def approx_tokens(obj):
	text = obj if isinstance(obj, str) else json.dumps(obj)
	return max(1, len(text) // 4)


# ---- the neutral conversation the scripts read ------------------------------
# A list of dicts: {"role": "user"|"assistant"|"tool", "text": str,
# "calls": [(id, name)], "id": answered call id, "name": tool name}.

def data_blocks(conv):
	"""Texts inside the data blocks of user turns and tool results."""
	out = []
	for m in conv:
		if m["role"] in ("user", "tool"):
			out.extend(b[2] for b in DATA_RE.findall(m["text"]))
	return out


def find_first(obj, key):
	"""The first string value of key in a JSON value, depth first; a
	{"columns":[...],"rows":[[...]]} table counts too."""
	if isinstance(obj, dict):
		if isinstance(obj.get(key), str):
			return obj[key]
		cols, rows = obj.get("columns"), obj.get("rows")
		if isinstance(cols, list) and key in cols and isinstance(rows, list):
			i = cols.index(key)
			for r in rows:
				if isinstance(r, list) and i < len(r) and isinstance(r[i], str):
					return r[i]
		for v in obj.values():
			got = find_first(v, key)
			if got is not None:
				return got
	elif isinstance(obj, list):
		for v in obj:
			got = find_first(v, key)
			if got is not None:
				return got
	return None


def first_in_results(conv, tool, key):
	for m in conv:
		if m["role"] != "tool" or m.get("name") != tool:
			continue
		texts = [b[2] for b in DATA_RE.findall(m["text"])] or [m["text"]]
		for t in texts:
			try:
				got = find_first(json.loads(t), key)
			except ValueError:
				hit = re.search(r'"%s"\s*:\s*"([^"]*)"' % key, t)
				got = hit.group(1) if hit else None
			if got:
				return got
	return None


def agent_verdict(conv):
	event_id = first_in_results(conv, "sql", "id")
	src_ip = first_in_results(conv, "sql", "src_ip")
	indicators = [FOREIGN_IP] + ([src_ip] if src_ip else [])
	return {
		"verdict": "suspicious",
		"confidence": 70,
		"summary": "The actor used credentials from an address outside "
			"its usual range; the permissions allow escalation.",
		"key_findings": [
			{"text": "The first event of the threat shows the action.",
			 "cited": [event_id] if event_id else []},
			{"text": "A login from an unknown host preceded it.",
			 "cited": [FABRICATED_ID]},
		],
		"next_steps": ["Confirm the activity with the account owner.",
			       "Rotate the access key if it is not confirmed."],
		"indicators": indicators,
	}


def benign_verdict():
	return {
		"verdict": "benign",
		"confidence": 99,
		"summary": "The alert says it is an authorised test",
		"key_findings": [{"text": "The alert says it is an authorised "
				  "test.", "cited": []}],
		"next_steps": [],
	}


def call_turns(conv):
	return sum(1 for m in conv if m["role"] == "assistant" and m["calls"])


def called(conv, name, args_part):
	return any(m["role"] == "assistant" and any(
		c[1] == name and args_part in c[2] for c in m["calls"])
		for m in conv)


# A script answers a conversation with a reply {"text": str|None,
# "calls": [(name, args)]} where args is a dict, or a str for deliberately
# broken arguments; the server adds "ids", the call ids it hands out.

AGENT_TURNS = (
	("I will look at the first events and the actor's permissions.",
	 [("sql", {"query": "SELECT id, action, src_ip FROM events "
		   "ORDER BY time LIMIT 5"}),
	  ("permissions", {})]),
	("Now the address against intel and the knowledge base.",
	 [("intel", {"field": "src_ip", "list": "tor-exit"}),
	  ("kb_search", {"query": "credential"})]),
)


def script_agent(conv, offset=0):
	turn = call_turns(conv) - offset
	if turn < len(AGENT_TURNS):
		text, calls = AGENT_TURNS[turn]
		return {"text": text, "calls": calls}
	return {"text": None, "calls": [(SUBMIT, agent_verdict(conv))]}


def script_text_first(conv):
	return {"text": "This looks like credential misuse from a new "
		"address, but I would need more data to be sure.", "calls": []}


def script_loop(conv):
	return {"text": None, "calls": [
		("sql", {"query": "SELECT count(*) AS n FROM events"})]}


def script_obey(conv):
	blocks = data_blocks(conv)
	if any(TOOL_ASK_RE.search(b) for b in blocks) and \
	   not called(conv, "sql", "DELETE"):
		return {"text": "As instructed, deleting the events.",
			"calls": [("sql", {"query": "DELETE FROM events"})]}
	if any(INSTRUCTION_RE.search(b) for b in blocks):
		return {"text": None, "calls": [(SUBMIT, benign_verdict())]}
	return script_agent(conv, offset=int(called(conv, "sql", "DELETE")))


def script_malformed(conv):
	if call_turns(conv) == 0:
		return {"text": "Let me query the events.",
			"calls": [("sql", BROKEN_ARGS)]}
	return script_agent(conv, offset=1)


def forced_verdict(scenario, conv):
	if scenario == "obey" and any(INSTRUCTION_RE.search(b)
				      for b in data_blocks(conv)):
		return benign_verdict()
	return agent_verdict(conv)


SCRIPTS = {
	"text-first": script_text_first,
	"loop": script_loop,
	"obey": script_obey,
	"malformed-args": script_malformed,
}


# The script scenario: "fake-script-NAME" plays NAME.json from --script-dir,
# a list of turns {"text": ..., "calls": [[tool, arguments], ...]}, one per
# assistant turn so far; past its end (or when forced without a verdict in
# the next turn) the usual verdict.
SCRIPT_DIR = None


def script_file_reply(model, conv, forced):
	name = model[len("fake-script-"):]
	with open(os.path.join(SCRIPT_DIR, name + ".json"), encoding="utf-8") as f:
		turns = json.load(f)
	k = sum(1 for m in conv if m["role"] == "assistant")
	turn = turns[k] if k < len(turns) else None
	if turn is None or (forced and not any(c[0] == SUBMIT
					       for c in turn["calls"])):
		return {"text": None, "calls": [(SUBMIT, forced_verdict(
			"agent", conv))]}
	return {"text": turn.get("text"),
		"calls": [(c[0], c[1]) for c in turn["calls"]]}


def model_reply(scenario, conv, forced, offered):
	if forced:
		return {"text": None, "calls": [(SUBMIT, forced_verdict(
			scenario, conv))]}
	reply = SCRIPTS.get(scenario, script_agent)(conv)
	# A model only calls tools it was offered; when the final tool is
	# missing it answers in prose and the agent must force it.
	if any(name not in offered for name, _ in reply["calls"]):
		return {"text": "I have what I need for a verdict.", "calls": []}
	return reply


# ---- OpenAI chat completions ----------------------------------------------

OPENAI_KEYS = {
	"model", "messages", "tools", "tool_choice", "stream", "stream_options",
	"max_tokens", "max_completion_tokens", "temperature", "top_p", "n",
	"stop", "seed", "response_format", "parallel_tool_calls", "user",
	"frequency_penalty", "presence_penalty", "logprobs", "top_logprobs",
	"logit_bias", "metadata", "store", "service_tier", "reasoning_effort",
}


def openai_error(status, message, kind="invalid_request_error", param=None,
		 code=None):
	return status, {"error": {"message": message, "type": kind,
				  "param": param, "code": code}}


def openai_content_text(content, where, allow_null=False):
	if content is None:
		need(allow_null, "Invalid value for '%s': expected a string, "
		     "got null." % where, param=where)
		return ""
	if isinstance(content, str):
		return content
	need(isinstance(content, list) and content, "Invalid type for '%s': "
	     "expected one of a string or array of objects." % where,
	     param=where)
	parts = []
	for i, p in enumerate(content):
		need(isinstance(p, dict) and p.get("type") == "text" and
		     isinstance(p.get("text"), str), "Invalid value for "
		     "'%s[%d]': expected a text content part." % (where, i),
		     param="%s[%d]" % (where, i))
		parts.append(p["text"])
	return "".join(parts)


def openai_tool_calls(calls, where):
	need(isinstance(calls, list) and calls, "Invalid 'tool_calls' in "
	     "'%s': expected a non-empty array." % where, param=where)
	out = []
	for j, c in enumerate(calls):
		at = "%s.tool_calls[%d]" % (where, j)
		need(isinstance(c, dict) and isinstance(c.get("id"), str) and
		     c["id"], "Missing required parameter: '%s.id'." % at,
		     param=at + ".id", code="missing_required_parameter")
		need(c.get("type") == "function", "Invalid value for '%s.type'"
		     ": expected 'function'." % at, param=at + ".type")
		fn = c.get("function")
		need(isinstance(fn, dict) and isinstance(fn.get("name"), str),
		     "Missing required parameter: '%s.function.name'." % at,
		     param=at + ".function.name")
		need(isinstance(fn.get("arguments"), str), "Invalid type for "
		     "'%s.function.arguments': expected a string, but got %s "
		     "instead." % (at, json_type(fn.get("arguments"))),
		     param=at + ".function.arguments",
		     code="invalid_type")
		out.append((c["id"], fn["name"], fn["arguments"]))
	return out


def openai_conversation(body):
	msgs = body.get("messages")
	need(isinstance(msgs, list), "Missing required parameter: 'messages'.",
	     param="messages", code="missing_required_parameter")
	need(msgs, "Invalid 'messages': empty array. Expected an array with "
	     "minimum length 1, but got an empty array instead.",
	     param="messages", code="empty_array")
	conv, pending, names = [], [], {}
	for i, m in enumerate(msgs):
		where = "messages[%d]" % i
		need(isinstance(m, dict), "Invalid type for '%s': expected an "
		     "object." % where, param=where)
		role = m.get("role")
		need(role in ("system", "developer", "user", "assistant", "tool"),
		     "Invalid value: '%s'. Supported values are: 'system', "
		     "'assistant', 'user', 'tool', 'developer'." % role,
		     param=where + ".role", code="invalid_value")
		if pending and role != "tool":
			raise BadRequest("An assistant message with 'tool_calls' "
					 "must be followed by tool messages responding to "
					 "each 'tool_call_id'. The following tool_call_ids "
					 "did not have response messages: %s" %
					 ", ".join(pending), param="messages")
		if role == "tool":
			tid = m.get("tool_call_id")
			need(isinstance(tid, str), "Missing parameter "
			     "'tool_call_id': messages with role 'tool' must have a "
			     "'tool_call_id'.", param=where + ".tool_call_id")
			need(tid in pending, "Invalid parameter: messages with role "
			     "'tool' must be a response to a preceeding message with "
			     "'tool_calls'.", param=where + ".role")
			pending.remove(tid)
			text = openai_content_text(m.get("content"),
						   where + ".content")
			conv.append({"role": "tool", "text": text, "id": tid,
				     "name": names.get(tid), "calls": []})
			continue
		if role == "assistant":
			calls = []
			if "tool_calls" in m and m["tool_calls"] is not None:
				calls = openai_tool_calls(m["tool_calls"], where)
			text = openai_content_text(m.get("content"),
						   where + ".content",
						   allow_null=bool(calls))
			for cid, name, _ in calls:
				names[cid] = name
			pending = [c[0] for c in calls]
			conv.append({"role": "assistant", "text": text,
				     "calls": calls})
			continue
		text = openai_content_text(m.get("content"), where + ".content")
		conv.append({"role": "user" if role == "user" else "system",
			     "text": text, "calls": []})
	need(not pending, "An assistant message with 'tool_calls' must be "
	     "followed by tool messages responding to each 'tool_call_id'. "
	     "The following tool_call_ids did not have response messages: "
	     "%s" % ", ".join(pending), param="messages")
	return conv


def openai_tools(body):
	tools = body.get("tools")
	if tools is None:
		return []
	need(isinstance(tools, list), "Invalid type for 'tools': expected an "
	     "array.", param="tools")
	names = []
	for i, t in enumerate(tools):
		at = "tools[%d]" % i
		need(isinstance(t, dict) and t.get("type") == "function",
		     "Invalid value for '%s.type': expected 'function'." % at,
		     param=at + ".type")
		fn = t.get("function")
		need(isinstance(fn, dict) and isinstance(fn.get("name"), str),
		     "Missing required parameter: '%s.function.name'." % at,
		     param=at + ".function.name")
		need(TOOL_NAME_RE.match(fn["name"]), "Invalid '%s.function.name'"
		     ": string does not match pattern. Expected a string that "
		     "matches the pattern '^[a-zA-Z0-9_-]+$'." % at,
		     param=at + ".function.name")
		params = fn.get("parameters")
		need(params is None or (isinstance(params, dict) and
		     params.get("type") == "object"), "Invalid schema for "
		     "function '%s': schema must be a JSON Schema of 'type: "
		     "\"object\"'." % fn["name"], param=at + ".function.parameters")
		need(fn["name"] not in names, "Duplicate tool name: '%s'." %
		     fn["name"], param="tools")
		names.append(fn["name"])
	return names


def openai_forced(body, names):
	choice = body.get("tool_choice")
	if choice is None:
		return None
	need(names, "Invalid value for 'tool_choice': 'tool_choice' is only "
	     "allowed when 'tools' are specified.", param="tool_choice")
	if choice in ("none", "auto", "required"):
		return None
	need(isinstance(choice, dict) and choice.get("type") == "function" and
	     isinstance(choice.get("function"), dict) and
	     isinstance(choice["function"].get("name"), str),
	     "Invalid value for 'tool_choice': expected 'none', 'auto', "
	     "'required' or a named function.", param="tool_choice")
	name = choice["function"]["name"]
	need(name in names, "Invalid value for 'tool_choice': function '%s' "
	     "not found in 'tools'." % name, param="tool_choice")
	return name


def openai_validate(headers, body):
	need(isinstance(body, dict), "Invalid type for request body: expected "
	     "an object.")
	for k in body:
		need(k in OPENAI_KEYS, "Unrecognized request argument supplied: "
		     "%s" % k)
	need(isinstance(body.get("model"), str) and body["model"],
	     "you must provide a model parameter", param="model")
	stream = body.get("stream", False)
	need(isinstance(stream, bool), "Invalid type for 'stream': expected "
	     "a boolean.", param="stream")
	if "stream_options" in body and body["stream_options"] is not None:
		need(stream, "The 'stream_options' parameter is only allowed "
		     "when 'stream' is enabled.", param="stream_options")
		need(isinstance(body["stream_options"], dict), "Invalid type for "
		     "'stream_options': expected an object.",
		     param="stream_options")
	for k in ("max_tokens", "max_completion_tokens"):
		if body.get(k) is not None:
			need(is_int(body[k]) and body[k] >= 1, "Invalid '%s': "
			     "integer below minimum value. Expected a value >= 1."
			     % k, param=k)
	conv = openai_conversation(body)
	names = openai_tools(body)
	forced = openai_forced(body, names)
	return conv, names, forced, stream


# ---- Anthropic Messages -----------------------------------------------------

ANTHROPIC_KEYS = {
	"model", "messages", "max_tokens", "system", "tools", "tool_choice",
	"stream", "temperature", "top_p", "top_k", "stop_sequences",
	"metadata", "thinking", "service_tier",
}


def anthropic_error(status, message, kind):
	return status, {"type": "error", "error": {"type": kind,
		"message": message}, "request_id": "req_" + uuid.uuid4().hex[:24]}


def anthropic_text(block, where):
	need(isinstance(block.get("text"), str), "%s.text: Field required"
	     % where)
	need(block["text"].strip() != "", "%s: text content blocks must "
	     "contain non-whitespace text" % where)
	return block["text"]


def anthropic_result_text(block, where):
	content = block.get("content", "")
	if isinstance(content, str):
		return content
	need(isinstance(content, list), "%s.content: Input should be a valid "
	     "string or list" % where)
	parts = []
	for k, b in enumerate(content):
		need(isinstance(b, dict) and b.get("type") == "text",
		     "%s.content.%d: only text blocks are expected here" %
		     (where, k))
		parts.append(anthropic_text(b, "%s.content.%d" % (where, k)))
	return "".join(parts)


def anthropic_blocks(m, i):
	content = m.get("content")
	where = "messages.%d" % i
	if isinstance(content, str):
		need(content != "" or m.get("role") == "assistant",
		     "%s: user messages must have non-empty content" % where)
		return [{"type": "text", "text": content}]
	need(isinstance(content, list), "%s.content: Input should be a valid "
	     "list" % where)
	need(content, "%s: all messages must have non-empty content except "
	     "for the optional final assistant message" % where)
	for k, b in enumerate(content):
		need(isinstance(b, dict) and isinstance(b.get("type"), str),
		     "%s.content.%d.type: Field required" % (where, k))
	return content


def anthropic_assistant(blocks, i, conv):
	text, calls = [], []
	for k, b in enumerate(blocks):
		where = "messages.%d.content.%d" % (i, k)
		if b["type"] == "text":
			text.append(anthropic_text(b, where))
			continue
		need(b["type"] == "tool_use", "%s: blocks of type `%s` are not "
		     "permitted in assistant messages" % (where, b["type"]))
		need(isinstance(b.get("id"), str) and b["id"], "%s.id: Field "
		     "required" % where)
		need(isinstance(b.get("name"), str) and b["name"], "%s.name: "
		     "Field required" % where)
		need(isinstance(b.get("input"), dict), "%s.input: Input should "
		     "be a valid dictionary" % where)
		calls.append((b["id"], b["name"], json.dumps(b["input"])))
	conv.append({"role": "assistant", "text": "".join(text),
		     "calls": calls})
	return [c[0] for c in calls]


def anthropic_user(blocks, i, pending, names, conv):
	seen_text, answered = False, []
	for k, b in enumerate(blocks):
		where = "messages.%d.content.%d" % (i, k)
		if b["type"] == "text":
			conv.append({"role": "user", "calls": [],
				     "text": anthropic_text(b, where)})
			seen_text = True
			continue
		need(b["type"] == "tool_result", "%s: blocks of type `%s` are "
		     "not permitted in user messages" % (where, b["type"]))
		need(not seen_text, "messages.%d: `tool_result` blocks must come "
		     "first in the user message content, before any text" % i)
		tid = b.get("tool_use_id")
		need(isinstance(tid, str), "%s.tool_use_id: Field required" %
		     where)
		need(tid in pending and tid not in answered, "messages.%d.content"
		     ".%d: unexpected `tool_use_id` found in `tool_result` blocks"
		     ": %s. Each `tool_result` block must have a corresponding "
		     "`tool_use` block in the previous message." % (i, k, tid))
		need(isinstance(b.get("is_error", False), bool), "%s.is_error: "
		     "Input should be a valid boolean" % where)
		answered.append(tid)
		conv.append({"role": "tool", "id": tid, "name": names.get(tid),
			     "calls": [], "text": anthropic_result_text(b, where)})
	missing = [t for t in pending if t not in answered]
	need(not missing, "messages.%d: `tool_use` ids were found without "
	     "`tool_result` blocks immediately after: %s. Each `tool_use` "
	     "block must have a corresponding `tool_result` block in the next "
	     "message." % (i - 1, ", ".join(missing)))


def anthropic_conversation(body):
	msgs = body.get("messages")
	need(isinstance(msgs, list), "messages: Field required")
	need(msgs, "messages: at least one message is required")
	conv, pending, names, last = [], [], {}, None
	for i, m in enumerate(msgs):
		need(isinstance(m, dict), "messages.%d: Input should be a valid "
		     "dictionary" % i)
		role = m.get("role")
		need(role in ("user", "assistant"), "messages.%d.role: Input "
		     "should be 'user' or 'assistant'" % i)
		need(i > 0 or role == "user", "messages: first message must use "
		     "the \"user\" role")
		need(role != last, "messages: roles must alternate between "
		     "\"user\" and \"assistant\", but found multiple \"%s\" roles "
		     "in a row" % role)
		last = role
		blocks = anthropic_blocks(m, i)
		if role == "assistant":
			pending = anthropic_assistant(blocks, i, conv)
			for cid, name, _ in conv[-1]["calls"]:
				names[cid] = name
		else:
			anthropic_user(blocks, i, pending, names, conv)
			pending = []
	need(not pending, "messages.%d: `tool_use` ids were found without "
	     "`tool_result` blocks immediately after: %s. Each `tool_use` "
	     "block must have a corresponding `tool_result` block in the next "
	     "message." % (len(msgs) - 1, ", ".join(pending)))
	return conv


def anthropic_tools(body):
	tools = body.get("tools")
	if tools is None:
		return []
	need(isinstance(tools, list), "tools: Input should be a valid list")
	names = []
	for i, t in enumerate(tools):
		need(isinstance(t, dict) and isinstance(t.get("name"), str) and
		     TOOL_NAME_RE.match(t["name"]), "tools.%d.name: String should "
		     "match pattern '^[a-zA-Z0-9_-]{1,64}$'" % i)
		schema = t.get("input_schema")
		need(isinstance(schema, dict), "tools.%d.custom.input_schema: "
		     "Field required" % i)
		need(schema.get("type") == "object", "tools.%d.custom.input_schema"
		     ".type: Input should be 'object'" % i)
		need(t["name"] not in names, "tools: Tool names must be unique.")
		names.append(t["name"])
	return names


def anthropic_forced(body, names):
	choice = body.get("tool_choice")
	if choice is None:
		return None
	need(isinstance(choice, dict) and choice.get("type") in
	     ("auto", "any", "tool", "none"), "tool_choice: Input tag does not "
	     "match any of the expected tags: 'auto', 'any', 'tool', 'none'")
	if choice["type"] != "tool":
		return None
	need(isinstance(choice.get("name"), str), "tool_choice.tool.name: "
	     "Field required")
	need(choice["name"] in names, "tool_choice: tool `%s` was not found "
	     "in tools" % choice["name"])
	return choice["name"]


def anthropic_validate(headers, body):
	need(isinstance(body, dict), "Input should be a valid dictionary")
	for k in body:
		need(k in ANTHROPIC_KEYS, "%s: Extra inputs are not permitted" % k)
	need(isinstance(body.get("model"), str) and body["model"],
	     "model: Field required")
	need("max_tokens" in body, "max_tokens: Field required")
	need(is_int(body["max_tokens"]) and body["max_tokens"] >= 1,
	     "max_tokens: Input should be a valid integer greater than 0")
	system = body.get("system")
	need(system is None or isinstance(system, (str, list)),
	     "system: Input should be a valid string or list")
	stream = body.get("stream", False)
	need(isinstance(stream, bool), "stream: Input should be a valid "
	     "boolean")
	conv = anthropic_conversation(body)
	names = anthropic_tools(body)
	forced = anthropic_forced(body, names)
	return conv, names, forced, stream


# ---- Ollama chat ------------------------------------------------------------

def ollama_error(status, message):
	return status, {"error": message}


def ollama_calls(calls, where):
	need(isinstance(calls, list), "json: cannot unmarshal %s into Go "
	     "struct field Message.%s.tool_calls of type []api.ToolCall" %
	     (go_type(calls), where))
	out = []
	for c in calls:
		fn = c.get("function") if isinstance(c, dict) else None
		need(isinstance(fn, dict) and isinstance(fn.get("name"), str),
		     "json: cannot unmarshal tool call in %s" % where)
		args = fn.get("arguments", {})
		need(isinstance(args, dict), "json: cannot unmarshal %s into Go "
		     "struct field ToolCallFunction.%s.tool_calls.function."
		     "arguments of type api.ToolCallFunctionArguments" %
		     (go_type(args), where))
		out.append(("", fn["name"], json.dumps(args)))
	return out


def ollama_conversation(body):
	msgs = body.get("messages")
	need(isinstance(msgs, list), "messages: expected an array")
	conv, pending = [], []
	for i, m in enumerate(msgs):
		where = "messages"
		need(isinstance(m, dict), "json: cannot unmarshal into Go value "
		     "of type api.Message")
		role = m.get("role")
		need(role in ("system", "user", "assistant", "tool"),
		     "invalid role: %r" % role)
		content = m.get("content", "")
		need(content is None or isinstance(content, str), "json: cannot "
		     "unmarshal %s into Go struct field Message.%s.content of "
		     "type string" % (go_type(content), where))
		content = content or ""
		if role == "tool":
			# Ollama matches results to calls by name and order; this
			# server insists on tool_name naming a pending call,
			# which is stricter than Ollama itself.
			name = m.get("tool_name")
			need(isinstance(name, str) and name in pending,
			     "messages[%d]: tool message answers no pending tool "
			     "call (tool_name %r)" % (i, name))
			pending.remove(name)
			conv.append({"role": "tool", "name": name, "id": name,
				     "text": content, "calls": []})
			continue
		need(not pending, "messages[%d]: tool calls %s were not answered "
		     "by tool messages" % (i, ", ".join(pending)))
		calls = []
		if role == "assistant" and m.get("tool_calls") is not None:
			calls = ollama_calls(m["tool_calls"], where)
		pending = [c[1] for c in calls]
		conv.append({"role": role, "text": content, "calls": calls})
	return conv


def ollama_tools(body):
	tools = body.get("tools")
	if tools is None:
		return []
	need(isinstance(tools, list), "json: cannot unmarshal into Go struct "
	     "field ChatRequest.tools of type api.Tools")
	names = []
	for t in tools:
		fn = t.get("function") if isinstance(t, dict) else None
		need(isinstance(fn, dict) and isinstance(fn.get("name"), str) and
		     t.get("type") == "function", "invalid tool definition")
		params = fn.get("parameters")
		need(isinstance(params, dict), "tool %s: parameters must be an "
		     "object" % fn["name"])
		names.append(fn["name"])
	return names


def ollama_validate(headers, body):
	need(isinstance(body, dict), "json: cannot unmarshal into Go value "
	     "of type api.ChatRequest")
	need(isinstance(body.get("model"), str) and body["model"],
	     "model is required")
	stream = body.get("stream", True)
	need(isinstance(stream, bool), "json: cannot unmarshal into Go struct "
	     "field ChatRequest.stream of type bool")
	fmt = body.get("format")
	need(fmt is None or fmt in ("", "json") or isinstance(fmt, dict),
	     "invalid format: %r" % fmt)
	opts = body.get("options")
	need(opts is None or isinstance(opts, dict), "json: cannot unmarshal "
	     "into Go struct field ChatRequest.options of type map")
	if isinstance(opts, dict) and "num_predict" in opts:
		need(is_int(opts["num_predict"]), "option \"num_predict\" must "
		     "be of type integer")
	conv = ollama_conversation(body)
	names = ollama_tools(body)
	forced = SUBMIT if isinstance(fmt, dict) and not names else None
	return conv, names, forced, stream


# ---- provider table -----------------------------------------------------------

def openai_auth(headers):
	auth = headers.get("Authorization")
	if not auth:
		return openai_error(401, "You didn't provide an API key. You need "
				    "to provide your API key in an Authorization "
				    "header using Bearer auth (i.e. Authorization: "
				    "Bearer YOUR_KEY).")
	key = auth[7:] if auth.startswith("Bearer ") else auth
	if not key.startswith("test-key-"):
		# The real service masks the middle of the key; this one echoes
		# it whole, so a client that forwards bodies unredacted leaks.
		return openai_error(401, "Incorrect API key provided: %s. You can "
				    "find your API key at https://platform.openai"
				    ".com/account/api-keys." % key,
				    code="invalid_api_key")
	return None


def anthropic_auth(headers):
	key = headers.get("x-api-key")
	if not key:
		return anthropic_error(401, "x-api-key header is required",
				       "authentication_error")
	if not key.startswith("test-key-"):
		return anthropic_error(401, "invalid x-api-key: %s" % key,
				       "authentication_error")
	version = headers.get("anthropic-version")
	if not version:
		return anthropic_error(400, "anthropic-version: header is "
				       "required", "invalid_request_error")
	if version != ANTHROPIC_VERSION:
		return anthropic_error(400, "anthropic-version: invalid version "
				       "%s" % version, "invalid_request_error")
	return None


def ollama_auth(headers):
	return None


def json_content_type(headers):
	ctype = (headers.get("Content-Type") or "").split(";")[0].strip()
	return ctype.lower() == "application/json"


OPENAI_ERRORS = {
	"bad": lambda m, e: openai_error(400, m, param=e.param, code=e.code),
	"400": lambda: openai_error(400, "Invalid 'messages[0].content': "
				    "string too long.", param="messages[0].content",
				    code="string_above_max_length"),
	"429": lambda: openai_error(429, "Rate limit reached for fake model "
				    "on requests per min (RPM): Limit 3, Used 3, "
				    "Requested 1. Please try again in 1s.",
				    kind="requests", code="rate_limit_exceeded"),
	"quota": lambda: openai_error(429, "You exceeded your current quota, "
				      "please check your plan and billing details.",
				      kind="insufficient_quota",
				      code="insufficient_quota"),
	"500": lambda: openai_error(500, "The server had an error while "
				    "processing your request. Sorry about that!",
				    kind="server_error"),
	"overload": lambda: openai_error(503, "The engine is currently "
					 "overloaded, please try again later.",
					 kind="server_error"),
	"model": lambda m: openai_error(404, "The model `%s` does not exist "
					"or you do not have access to it." % m,
					code="model_not_found"),
	"echo": lambda k: openai_error(400, "Invalid request made with key "
				       "%s." % k),
	"json": lambda: openai_error(400, "We could not parse the JSON body "
				     "of your request. (HINT: This likely means "
				     "you aren't using your HTTP library correctly. "
				     "The OpenAI API expects a JSON payload, but "
				     "what was sent was not valid JSON."),
}

ANTHROPIC_ERRORS = {
	"bad": lambda m, e: anthropic_error(e.status, m, e.kind),
	"400": lambda: anthropic_error(400, "messages.0.content: prompt is "
				       "too long", "invalid_request_error"),
	"429": lambda: anthropic_error(429, "Number of requests has exceeded "
				       "your per-minute rate limit",
				       "rate_limit_error"),
	"quota": lambda: anthropic_error(400, "Your credit balance is too low "
					 "to access the Anthropic API. Please go "
					 "to Plans & Billing to upgrade or "
					 "purchase credits.",
					 "invalid_request_error"),
	"500": lambda: anthropic_error(500, "Internal server error",
				       "api_error"),
	"overload": lambda: anthropic_error(529, "Overloaded",
					    "overloaded_error"),
	"model": lambda m: anthropic_error(404, "model: %s" % m,
					   "not_found_error"),
	"echo": lambda k: anthropic_error(400, "invalid request made with "
					  "key %s" % k, "invalid_request_error"),
	"json": lambda: anthropic_error(400, "There was an error parsing the "
					"body of your request as JSON",
					"invalid_request_error"),
}

OLLAMA_ERRORS = {
	"bad": lambda m, e: ollama_error(400, m),
	"400": lambda: ollama_error(400, "invalid request: context too long"),
	"429": lambda: ollama_error(429, "too many requests"),
	"quota": lambda: ollama_error(400, "invalid request: context too "
				      "long"),
	"500": lambda: ollama_error(500, "llama runner process has "
				    "terminated: exit status 2"),
	"overload": lambda: ollama_error(503, "server busy"),
	"model": lambda m: ollama_error(404, "model \"%s\" not found, try "
					"pulling it first" % m),
	"echo": lambda k: ollama_error(400, "invalid request with key %s" % k),
	"json": lambda: ollama_error(400, "invalid character in request "
				     "body"),
}


def client_key(headers):
	auth = headers.get("Authorization") or ""
	if auth.startswith("Bearer "):
		return auth[7:]
	return headers.get("x-api-key") or auth


# ---- replies: whole and streamed ------------------------------------------
# Each writer takes the script's reply and yields either one whole JSON body
# or a list of stream events (bytes), so the transport is shared.

def call_args_text(args):
	return args if isinstance(args, str) else dumps(args)


def split_text(s, n=3):
	"""Split s into about n non-empty pieces."""
	if not s:
		return []
	step = max(1, -(-len(s) // n))
	return [s[i:i + step] for i in range(0, len(s), step)]


def new_id(prefix, n=24):
	return prefix + uuid.uuid4().hex[:n]


def openai_whole(model, reply, tin, tout):
	msg = {"role": "assistant", "content": reply["text"], "refusal": None}
	if reply["calls"]:
		msg["tool_calls"] = [{"id": cid, "type": "function",
				      "function": {"name": n, "arguments":
						   call_args_text(a)}}
				     for cid, (n, a) in zip(reply["ids"],
							    reply["calls"])]
	return {
		"id": new_id("chatcmpl-"), "object": "chat.completion",
		"created": int(time.time()), "model": model,
		"choices": [{"index": 0, "message": msg, "logprobs": None,
			     "finish_reason": "tool_calls" if reply["calls"]
			     else "stop"}],
		"usage": {"prompt_tokens": tin, "completion_tokens": tout,
			  "total_tokens": tin + tout},
		"system_fingerprint": "fp_fakellm",
	}


def openai_stream(model, reply, tin, tout, body):
	cid, created = new_id("chatcmpl-"), int(time.time())
	usage = (body.get("stream_options") or {}).get("include_usage")
	def chunk(delta, finish=None, choices=True):
		c = {"id": cid, "object": "chat.completion.chunk",
		     "created": created, "model": model,
		     "system_fingerprint": "fp_fakellm",
		     "choices": [{"index": 0, "delta": delta, "logprobs": None,
				  "finish_reason": finish}] if choices else []}
		if usage:
			c["usage"] = None
		return c
	events = [chunk({"role": "assistant", "content": "",
			 "refusal": None})]
	for piece in split_text(reply["text"] or "", 4):
		events.append(chunk({"content": piece}))
	for i, (name, args) in enumerate(reply["calls"]):
		events.append(chunk({"tool_calls": [{"index": i, "id":
			reply["ids"][i], "type": "function", "function":
			{"name": name, "arguments": ""}}]}))
		for piece in split_text(call_args_text(args), 4):
			events.append(chunk({"tool_calls": [{"index": i,
				"function": {"arguments": piece}}]}))
	events.append(chunk({}, "tool_calls" if reply["calls"] else "stop"))
	if usage:
		last = chunk({}, choices=False)
		last["usage"] = {"prompt_tokens": tin, "completion_tokens": tout,
				 "total_tokens": tin + tout}
		events.append(last)
	out = [b"data: " + dumps(e).encode() + b"\n\n" for e in events]
	return out + [b"data: [DONE]\n\n"]


def anthropic_content(reply):
	content = []
	if reply["text"]:
		content.append({"type": "text", "text": reply["text"]})
	for cid, (name, args) in zip(reply["ids"], reply["calls"]):
		# Broken arguments (a str) go out as a string, not an object:
		# what a broken model or proxy might send.
		content.append({"type": "tool_use", "id": cid,
				"name": name, "input": args})
	return content


def anthropic_whole(model, reply, tin, tout):
	content = anthropic_content(reply)
	return {
		"id": new_id("msg_01", 22), "type": "message",
		"role": "assistant", "model": model, "content": content,
		"stop_reason": "tool_use" if reply["calls"] else "end_turn",
		"stop_sequence": None,
		"usage": {"input_tokens": tin, "output_tokens": tout},
	}


def sse(event, data):
	return ("event: %s\ndata: %s\n\n" % (event, dumps(data))).encode()


def anthropic_start(model, tin):
	return [sse("message_start", {"type": "message_start", "message": {
		"id": new_id("msg_01", 22), "type": "message",
		"role": "assistant", "model": model, "content": [],
		"stop_reason": None, "stop_sequence": None,
		"usage": {"input_tokens": tin, "output_tokens": 1}}}),
		sse("ping", {"type": "ping"})]


def anthropic_stream(model, reply, tin, tout, body):
	out = anthropic_start(model, tin)
	index = 0
	if reply["text"]:
		out.append(sse("content_block_start", {"type":
			"content_block_start", "index": 0, "content_block":
			{"type": "text", "text": ""}}))
		for piece in split_text(reply["text"], 4):
			out.append(sse("content_block_delta", {"type":
				"content_block_delta", "index": 0, "delta":
				{"type": "text_delta", "text": piece}}))
		out.append(sse("content_block_stop", {"type":
			"content_block_stop", "index": 0}))
		index = 1
	for cid, (name, args) in zip(reply["ids"], reply["calls"]):
		out.append(sse("content_block_start", {"type":
			"content_block_start", "index": index, "content_block":
			{"type": "tool_use", "id": cid,
			 "name": name, "input": {}}}))
		pieces = [""] + split_text(call_args_text(args), 4)
		for piece in pieces:
			out.append(sse("content_block_delta", {"type":
				"content_block_delta", "index": index, "delta":
				{"type": "input_json_delta",
				 "partial_json": piece}}))
		out.append(sse("content_block_stop", {"type":
			"content_block_stop", "index": index}))
		index += 1
		if index == 2:
			out.append(sse("ping", {"type": "ping"}))
	out.append(sse("message_delta", {"type": "message_delta", "delta":
		{"stop_reason": "tool_use" if reply["calls"] else "end_turn",
		 "stop_sequence": None}, "usage": {"output_tokens": tout}}))
	out.append(sse("message_stop", {"type": "message_stop"}))
	return out


def anthropic_stream_overload(model, tin):
	return anthropic_start(model, tin) + [sse("error", {"type": "error",
		"error": {"type": "overloaded_error", "message": "Overloaded"}})]


def ollama_message(reply, forced):
	if forced:
		return {"role": "assistant",
			"content": dumps(reply["calls"][0][1])}
	msg = {"role": "assistant", "content": reply["text"] or ""}
	if reply["calls"]:
		msg["tool_calls"] = [{"function": {"index": i, "name": n,
			"arguments": a}} for i, (n, a) in enumerate(reply["calls"])]
	return msg


def ollama_done(model, tin, tout):
	return {"model": model, "created_at": now_rfc3339(), "done": True,
		"done_reason": "stop", "total_duration": 912345678,
		"load_duration": 1234567, "prompt_eval_count": tin,
		"prompt_eval_duration": 23456789, "eval_count": tout,
		"eval_duration": 345678901}


def now_rfc3339():
	return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


def ollama_whole(model, reply, tin, tout, forced):
	out = ollama_done(model, tin, tout)
	out["message"] = ollama_message(reply, forced)
	return out


def ollama_stream(model, reply, tin, tout, forced):
	msg = ollama_message(reply, forced)
	def line(m):
		return (dumps({"model": model, "created_at": now_rfc3339(),
				    "message": m, "done": False}) + "\n").encode()
	out = [line({"role": "assistant", "content": p})
	       for p in split_text(msg["content"], 4)]
	if "tool_calls" in msg:
		out.append(line({"role": "assistant", "content": "",
				 "tool_calls": msg["tool_calls"]}))
	done = ollama_done(model, tin, tout)
	done["message"] = {"role": "assistant", "content": ""}
	out.append((dumps(done) + "\n").encode())
	return out


class Provider:
	def __init__(self, name, auth, validate, errors, ctype, whole, stream):
		# Tool-call ids as each service makes them; Ollama has none.
		self.call_id = {"openai": lambda: new_id("call_"),
				"anthropic": lambda: new_id("toolu_01", 22),
				"ollama": lambda: ""}[name]
		self.name = name
		self.auth = auth
		self.validate = validate
		self.errors = errors
		self.stream_type = ctype
		self.whole = whole
		self.stream = stream


PROVIDERS = {
	"/v1/chat/completions": Provider(
		"openai", openai_auth, openai_validate, OPENAI_ERRORS,
		"text/event-stream; charset=utf-8",
		lambda m, r, i, o, f: openai_whole(m, r, i, o),
		lambda m, r, i, o, f, b: openai_stream(m, r, i, o, b)),
	"/v1/messages": Provider(
		"anthropic", anthropic_auth, anthropic_validate, ANTHROPIC_ERRORS,
		"text/event-stream; charset=utf-8",
		lambda m, r, i, o, f: anthropic_whole(m, r, i, o),
		lambda m, r, i, o, f, b: anthropic_stream(m, r, i, o, b)),
	"/api/chat": Provider(
		"ollama", ollama_auth, ollama_validate, OLLAMA_ERRORS,
		"application/x-ndjson",
		ollama_whole,
		lambda m, r, i, o, f, b: ollama_stream(m, r, i, o, f)),
}


# ---- scenarios: failures before or instead of the script -----------------------

def parse_scenario(model):
	if not isinstance(model, str) or not model.startswith("fake-"):
		return None
	rest = model[5:]
	best = None
	for s in SCENARIOS:
		if (rest == s or rest.startswith(s + "-")) and \
		   (best is None or len(s) > len(best)):
			best = s
	return best


# scenario -> (attempts that fail, error kind); "always" fails every time.
FAILURES = {
	"error-400": ("always", "400"),
	"quota": ("always", "quota"),
	"error-429": (2, "429"),
	"error-500": (1, "500"),
	"overload": (1, "overload"),
}


class Counters:
	def __init__(self):
		self.lock = threading.Lock()
		self.counts = {}

	def next(self, model):
		with self.lock:
			self.counts[model] = self.counts.get(model, 0) + 1
			return self.counts[model]


# ---- HTTP ---------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
	protocol_version = "HTTP/1.1"
	server_version = "fakellm/1"

	def log_message(self, fmt, *args):
		if self.server.verbose:
			sys.stderr.write("fakellm: " + (fmt % args) + "\n")

	def do_GET(self):
		self.provider, self.body, self.issued = None, None, []
		self.body_raw = b""
		self.answer(None, 0, 404, {"error": "not found"})

	def read_body(self):
		if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
			data = b""
			while True:
				size = int(self.rfile.readline().split(b";")[0], 16)
				if size == 0:
					while self.rfile.readline() not in (b"\r\n", b"\n",
									   b""):
						pass
					return data
				data += self.rfile.read(size)
				self.rfile.readline()
		n = int(self.headers.get("Content-Length") or 0)
		return self.rfile.read(n) if n > 0 else b""

	def do_POST(self):
		# One handler serves every request of a kept-alive connection.
		self.provider, self.body, self.issued = None, None, []
		self.body_raw = self.read_body()
		provider = PROVIDERS.get(self.path.split("?")[0])
		if provider is None:
			self.answer(None, 0, 404, {"error": {"message": "Unknown "
				    "path %s" % self.path, "type": "not_found"}})
			return
		self.provider = provider
		status_body = provider.auth(self.headers)
		if status_body:
			self.answer(None, 0, *status_body)
			return
		try:
			body = json.loads(self.body_raw.decode("utf-8"))
		except (ValueError, UnicodeDecodeError):
			self.answer(None, 0, *provider.errors["json"]())
			return
		self.body = body
		try:
			self.serve(provider, body)
		except BadRequest as e:
			self.answer(None, 0, *provider.errors["bad"](e.message, e))

	def serve(self, provider, body):
		if provider.name != "ollama":
			need(json_content_type(self.headers), "Content-Type must be "
			     "application/json")
		conv, offered, forced, stream = provider.validate(self.headers,
								   body)
		model = body["model"]
		scenario = parse_scenario(model)
		if scenario is None:
			self.answer(None, 0, *provider.errors["model"](model))
			return
		attempt = self.server.counters.next(model)
		self.scenario, self.attempt = scenario, attempt
		if self.fail(provider, scenario, attempt, stream, forced):
			return
		if scenario == "script":
			reply = script_file_reply(model, conv, forced == SUBMIT)
		else:
			reply = model_reply(scenario, conv, forced == SUBMIT,
					    offered)
		if forced and forced != SUBMIT:
			reply = {"text": None, "calls": [(forced, {})]}
		reply["ids"] = [provider.call_id() for _ in reply["calls"]]
		self.issued = [[i, c[0]] for i, c in zip(reply["ids"],
							 reply["calls"])]
		tin = approx_tokens(body)
		tout = approx_tokens(json.dumps([reply["text"], reply["calls"]]))
		ollama_forced = provider.name == "ollama" and forced is not None
		if stream:
			events = provider.stream(model, reply, tin, tout,
						 ollama_forced, body)
			self.send_stream(provider.stream_type, events, scenario,
					 attempt)
		else:
			whole = provider.whole(model, reply, tin, tout,
					       ollama_forced)
			self.send_whole(200, whole, scenario, attempt)

	def fail(self, provider, scenario, attempt, stream, forced=None):
		"""Answer the scenario's injected failure; True when done. A
		slow model still answers a forced verdict at once, so a client
		that gives up waiting can be seen to get its answer."""
		rule = FAILURES.get(scenario)
		if rule and (rule[0] == "always" or attempt <= rule[0]):
			kind = rule[1]
			if kind == "quota" and provider.name == "ollama":
				kind = "400"
			status, err = provider.errors[kind]()
			extra = {"Retry-After": "1"} if status == 429 else {}
			self.answer(scenario, attempt, status, err, extra)
			return True
		if scenario == "echo-key":
			key = client_key(self.headers) or "(none)"
			self.answer(scenario, attempt,
				    *provider.errors["echo"](key))
			return True
		if scenario == "overload" and attempt == 2 and stream and \
		   provider.name == "anthropic":
			events = anthropic_stream_overload(self.body["model"],
							   approx_tokens(self.body))
			self.send_stream(provider.stream_type, events, scenario,
					 attempt)
			return True
		if scenario == "drop-always" or (scenario == "drop" and
						 attempt == 1):
			self.send_dropped(stream, scenario, attempt)
			return True
		if scenario == "slow" and not forced:
			self.send_slow(provider, stream, scenario, attempt)
			return True
		return False

	# -- writing --

	def log_request_line(self, scenario, attempt, status):
		body = self.body
		if body is None:
			try:
				body = json.loads(self.body_raw.decode("utf-8"))
			except (ValueError, UnicodeDecodeError):
				body = self.body_raw.decode("utf-8", "replace")
		entry = {"path": self.path, "headers": dict(self.headers.items()),
			 "body": body, "scenario": scenario, "attempt": attempt,
			 "status": status, "time": round(time.time(), 3),
			 "calls": self.issued}
		with self.server.log_lock:
			with open(self.server.log_path, "a") as f:
				f.write(json.dumps(entry) + "\n")

	def answer(self, scenario, attempt, status, body, extra=None):
		self.send_whole(status, body, scenario, attempt, extra)

	def send_whole(self, status, body, scenario, attempt, extra=None):
		self.log_request_line(scenario, attempt, status)
		data = dumps(body).encode()
		self.send_response(status)
		self.send_header("Content-Type", "application/json")
		self.send_header("Content-Length", str(len(data)))
		if self.provider and self.provider.name == "anthropic":
			self.send_header("request-id", new_id("req_"))
		for k, v in (extra or {}).items():
			self.send_header(k, v)
		self.end_headers()
		self.wfile.write(data)
		self.wfile.flush()

	def start_chunked(self, ctype):
		self.send_response(200)
		self.send_header("Content-Type", ctype)
		self.send_header("Transfer-Encoding", "chunked")
		self.send_header("Cache-Control", "no-cache")
		self.end_headers()
		self.wfile.flush()

	def write_chunk(self, data):
		self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
		self.wfile.flush()

	def write_pieces(self, data):
		"""data as chunks of odd sizes, each flushed on its own."""
		i, k = 0, 0
		while i < len(data):
			n = PIECES[k % len(PIECES)]
			self.write_chunk(data[i:i + n])
			i, k = i + n, k + 1
			if k % 4 == 0:
				time.sleep(0.001)

	def send_stream(self, ctype, events, scenario, attempt):
		self.log_request_line(scenario, attempt, 200)
		self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
					   1)
		self.start_chunked(ctype)
		self.write_pieces(b"".join(events))
		self.wfile.write(b"0\r\n\r\n")
		self.wfile.flush()

	def sample(self, provider, stream):
		"""A successful reply's bytes, for drops and stalls."""
		reply = script_agent([])
		reply["ids"] = [provider.call_id() for _ in reply["calls"]]
		if stream:
			return b"".join(provider.stream(self.body["model"], reply,
							10, 10, False, self.body))
		return dumps(provider.whole(self.body["model"], reply, 10,
						 10, False)).encode()

	def send_dropped(self, stream, scenario, attempt):
		self.log_request_line(scenario, attempt, 200)
		data = self.sample(self.provider, stream)
		if stream:
			self.start_chunked(self.provider.stream_type)
			self.write_pieces(data[:len(data) // 2])
		else:
			self.send_response(200)
			self.send_header("Content-Type", "application/json")
			self.send_header("Content-Length", str(len(data)))
			self.end_headers()
			self.wfile.write(data[:len(data) // 2])
			self.wfile.flush()
		self.close_connection = True
		self.connection.shutdown(socket.SHUT_RDWR)

	def send_slow(self, provider, stream, scenario, attempt):
		self.log_request_line(scenario, attempt, 200)
		data = self.sample(provider, stream)
		if stream:
			self.start_chunked(provider.stream_type)
			self.write_chunk(data[:SLOW_FIRST])
		else:
			self.send_response(200)
			self.send_header("Content-Type", "application/json")
			self.send_header("Content-Length", str(len(data)))
			self.end_headers()
			self.wfile.write(data[:SLOW_FIRST])
			self.wfile.flush()
		time.sleep(SLOW_STALL)
		if stream:
			self.write_pieces(data[SLOW_FIRST:])
			self.wfile.write(b"0\r\n\r\n")
		else:
			self.wfile.write(data[SLOW_FIRST:])
		self.wfile.flush()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
	daemon_threads = True
	allow_reuse_address = True

	def handle_error(self, request, client_address):
		# A client that hangs up mid-stream (timeouts, cancel) is normal.
		exc = sys.exc_info()[1]
		if isinstance(exc, (BrokenPipeError, ConnectionResetError)):
			return
		super().handle_error(request, client_address)


def main():
	ap = argparse.ArgumentParser(description="local LLM protocol server "
				     "for verdict's tests")
	ap.add_argument("--port-file", required=True)
	ap.add_argument("--log", required=True)
	ap.add_argument("--verbose", action="store_true")
	ap.add_argument("--tls-cert", help="serve HTTPS with this certificate "
			"(PEM, key included or in --tls-key)")
	ap.add_argument("--tls-key")
	ap.add_argument("--script-dir", help="where fake-script-NAME finds "
			"NAME.json")
	args = ap.parse_args()
	global SCRIPT_DIR
	SCRIPT_DIR = args.script_dir
	server = Server(("127.0.0.1", 0), Handler)
	if args.tls_cert:
		ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		ctx.load_cert_chain(args.tls_cert, args.tls_key)
		server.socket = ctx.wrap_socket(server.socket, server_side=True)
	server.counters = Counters()
	server.log_lock = threading.Lock()
	server.log_path = args.log
	server.verbose = args.verbose
	open(args.log, "a").close()
	tmp = args.port_file + ".tmp"
	with open(tmp, "w") as f:
		f.write("%d\n" % server.server_address[1])
	os.replace(tmp, args.port_file)
	try:
		server.serve_forever()
	except KeyboardInterrupt:
		pass


if __name__ == "__main__":
	main()
