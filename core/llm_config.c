/* SPDX-License-Identifier: Apache-2.0 */
/* llm_config: where the model is and how far an investigation may go, from
 * the configuration file and the environment. The API key is read only
 * from the environment or from a file private to the user. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/llm.h"

#define KEY_FILE_MAX 4096

static const char *const provider_names[LLM_PROVIDER_COUNT] = {
	[LLM_OPENAI] = "openai",
	[LLM_ANTHROPIC] = "anthropic",
	[LLM_OLLAMA] = "ollama",
};

/* The provider's own key variable, tried after VERDICT_LLM_API_KEY. */
static const char *const provider_key_env[LLM_PROVIDER_COUNT] = {
	[LLM_OPENAI] = "OPENAI_API_KEY",
	[LLM_ANTHROPIC] = "ANTHROPIC_API_KEY",
	[LLM_OLLAMA] = NULL,
};

static const char *const provider_default_url[LLM_PROVIDER_COUNT] = {
	[LLM_OPENAI] = "https://api.openai.com/v1",
	[LLM_ANTHROPIC] = "https://api.anthropic.com",
	[LLM_OLLAMA] = "http://127.0.0.1:11434",
};

const char *
llm_provider_name(enum llm_provider p)
{
	return p < LLM_PROVIDER_COUNT ? provider_names[p] : "unknown";
}

int
llm_provider_parse(const char *name, enum llm_provider *out)
{
	for (int i = 0; i < LLM_PROVIDER_COUNT; i++) {
		if (strcasecmp(name, provider_names[i]) == 0) {
			*out = (enum llm_provider)i;
			return 0;
		}
	}
	return err_set(LLM_ERR_CONFIG, "provider \"%s\": give openai, "
		       "anthropic or ollama", name);
}

void
llm_config_init(struct llm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->provider = LLM_PROVIDER_COUNT;   /* not set */
	cfg->stream = true;
	cfg->connect_timeout_s = 10;
	cfg->low_speed_time_s = 30;
	cfg->request_timeout_s = 120;
	cfg->max_retries = 4;
	cfg->backoff_ms = 500;
	cfg->max_backoff_ms = 30000;
	cfg->max_output_tokens = 2048;
	cfg->max_steps = 12;
	cfg->max_tokens = 100000;
	cfg->max_seconds = 180;
}

static void
wipe_free(char *s)
{
	if (!s)
		return;
	/* volatile: the compiler may not drop a store to memory it frees. */
	for (volatile char *p = s; *p; p++)
		*p = 0;
	free(s);
}

void
llm_config_dispose(struct llm_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->url);
	free(cfg->model);
	wipe_free(cfg->api_key);
	free(cfg->ca_file);
	free(cfg->source);
	free(cfg->key_file);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- settings: one table for the file and the environment ------------- */

enum setting_type { SET_STR, SET_BOOL, SET_LONG, SET_INT, SET_PROVIDER };

struct setting {
	const char *key;       /* in the file */
	const char *env;       /* in the environment */
	enum setting_type type;
	size_t off;            /* in struct llm_config */
	long min, max;
};

#define OFF(m) offsetof(struct llm_config, m)

static const struct setting settings[] = {
	{ "provider", "VERDICT_LLM_PROVIDER", SET_PROVIDER, OFF(provider), 0, 0 },
	{ "url", "VERDICT_LLM_URL", SET_STR, OFF(url), 0, 0 },
	{ "model", "VERDICT_LLM_MODEL", SET_STR, OFF(model), 0, 0 },
	{ "api_key_file", "VERDICT_LLM_API_KEY_FILE", SET_STR, OFF(key_file), 0, 0 },
	{ "ca_file", "VERDICT_LLM_CA_FILE", SET_STR, OFF(ca_file), 0, 0 },
	{ "stream", "VERDICT_LLM_STREAM", SET_BOOL, OFF(stream), 0, 0 },
	{ "connect_timeout", "VERDICT_LLM_CONNECT_TIMEOUT", SET_LONG,
	  OFF(connect_timeout_s), 1, 600 },
	{ "low_speed_time", "VERDICT_LLM_LOW_SPEED_TIME", SET_LONG,
	  OFF(low_speed_time_s), 1, 3600 },
	{ "request_timeout", "VERDICT_LLM_REQUEST_TIMEOUT", SET_LONG,
	  OFF(request_timeout_s), 1, 3600 },
	{ "max_retries", "VERDICT_LLM_MAX_RETRIES", SET_INT, OFF(max_retries),
	  0, 20 },
	{ "backoff_ms", "VERDICT_LLM_BACKOFF_MS", SET_LONG, OFF(backoff_ms),
	  1, 600000 },
	{ "max_backoff_ms", "VERDICT_LLM_MAX_BACKOFF_MS", SET_LONG,
	  OFF(max_backoff_ms), 1, 600000 },
	{ "max_output_tokens", "VERDICT_LLM_MAX_OUTPUT_TOKENS", SET_INT,
	  OFF(max_output_tokens), 16, 200000 },
	{ "max_steps", "VERDICT_LLM_MAX_STEPS", SET_INT, OFF(max_steps), 1, 200 },
	{ "max_tokens", "VERDICT_LLM_MAX_TOKENS", SET_LONG, OFF(max_tokens),
	  100, 100000000 },
	{ "max_seconds", "VERDICT_LLM_MAX_SECONDS", SET_LONG, OFF(max_seconds),
	  1, 86400 },
};

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* value with a leading "~/" as the home directory (file settings are
 * written that way); caller frees. */
static char *
expand_home(const char *value)
{
	const char *home = getenv("HOME");
	struct buf b;

	if (strncmp(value, "~/", 2) != 0 || !home || !*home)
		return strdup(value);
	buf_init(&b);
	buf_printf(&b, "%s%s", home, value + 1);
	return buf_detach(&b);
}

/* Apply value to the setting; where names the place for messages. */
static int
apply(struct llm_config *cfg, const struct setting *s, const char *value,
      const char *where)
{
	char *p = (char *)cfg + s->off, *end;
	long n;

	switch (s->type) {
	case SET_STR:
		if (!*value)
			return err_set(LLM_ERR_CONFIG, "%s: `%s`: empty", where,
				       s->key);
		free(*(char **)p);
		if (!(*(char **)p = expand_home(value)))
			return err_set(ERR_NOMEM, "out of memory");
		return 0;
	case SET_BOOL:
		if (parse_bool(value, (bool *)p) < 0)
			return err_set(LLM_ERR_CONFIG, "%s: `%s`: \"%s\" is not "
				       "true or false", where, s->key, value);
		return 0;
	case SET_PROVIDER:
		if (llm_provider_parse(value, (enum llm_provider *)p) < 0)
			return err_set(LLM_ERR_CONFIG, "%s: `%s`: \"%s\" is not "
				       "openai, anthropic or ollama", where,
				       s->key, value);
		return 0;
	case SET_LONG:
	case SET_INT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno || end == value || *end || n < s->min || n > s->max)
			return err_set(LLM_ERR_CONFIG, "%s: `%s`: \"%s\" is not "
				       "a whole number from %ld to %ld", where,
				       s->key, value, s->min, s->max);
		if (s->type == SET_INT)
			*(int *)p = (int)n;
		else
			*(long *)p = n;
		return 0;
	}
	return 0;
}

static const struct setting *
find_setting(const char *key)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcmp(settings[i].key, key) == 0)
			return &settings[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

/* line without a comment: one that starts it, or " #" after text. */
static char *
strip_comment(char *line)
{
	for (char *p = line; *p; p++) {
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	return line;
}

/* One line of the file: blank, comment, [section] or key = value. */
static int
config_line(struct llm_config *cfg, char *line, const char *path, int lineno,
	    bool *in_llm)
{
	char where[PATH_MAX + 32], *eq, *key, *value;
	const struct setting *s;

	line = trim(strip_comment(line));
	if (!*line || *line == ';')
		return 0;
	snprintf(where, sizeof(where), "%s:%d", path, lineno);
	if (*line == '[') {
		*in_llm = strcasecmp(line, "[llm]") == 0;
		return 0;
	}
	if (!(eq = strchr(line, '=')))
		return *in_llm ? err_set(LLM_ERR_CONFIG, "%s: expected "
					 "`key = value`", where) : 0;
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	/* In whatever section: a key in this file is a key in backups. */
	if (strcasecmp(key, "api_key") == 0)
		return err_set(LLM_ERR_CONFIG, "%s: `api_key`: keys do not "
			       "belong in the configuration file; use "
			       "api_key_file or VERDICT_LLM_API_KEY", where);
	if (!*in_llm)
		return 0;
	if (!(s = find_setting(key)))
		return err_set(LLM_ERR_CONFIG, "%s: unknown setting `%s`",
			       where, key);
	return apply(cfg, s, value, where);
}

static char *
config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct buf b;

	buf_init(&b);
	if (xdg && *xdg)
		buf_printf(&b, "%s/verdict/config", xdg);
	else if (home && *home)
		buf_printf(&b, "%s/.config/verdict/config", home);
	else
		return NULL;
	return buf_detach(&b);
}

/* The file is optional; settings outside an [llm] section belong to other
 * parts of verdict, and a file with no section header is all [llm]. */
static int
read_file(struct llm_config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int lineno = 0, rc = 0;
	bool in_llm = true;

	if (!f)
		return errno == ENOENT ? 0
			: err_set(LLM_ERR_CONFIG, "%s: %s", path,
				  strerror(errno));
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			rc = err_set(LLM_ERR_CONFIG, "%s:%d: line too long",
				     path, lineno);
		else
			rc = config_line(cfg, line, path, lineno, &in_llm);
	}
	fclose(f);
	if (rc == 0 && !(cfg->source = strdup(path)))
		rc = err_set(ERR_NOMEM, "out of memory");
	return rc;
}

static int
read_env(struct llm_config *cfg)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const char *v = getenv(settings[i].env);
		int rc;

		if (v && *v && (rc = apply(cfg, &settings[i], v,
					   settings[i].env)) < 0)
			return rc;
	}
	return 0;
}

/* ---- the key ------------------------------------------------------------ */

/* Read the key from path, which must be a regular file of the user's,
 * unreadable to group and others. Only the first line counts. */
static int
read_key_file(struct llm_config *cfg, const char *path)
{
	char buf[KEY_FILE_MAX + 1], *nl;
	struct stat sb;
	ssize_t n;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO must not hang the open; it is refused below. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
		return err_set(LLM_ERR_CONFIG, "API key file %s: %s", path,
			       errno == ELOOP ? "a symbolic link (give the file "
			       "itself)" : strerror(errno));
	if (fstat(fd, &sb) < 0)
		rc = err_set(LLM_ERR_CONFIG, "API key file %s: %s", path,
			     strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		rc = err_set(LLM_ERR_CONFIG, "API key file %s: not a regular "
			     "file", path);
	else if (sb.st_uid != getuid())
		rc = err_set(LLM_ERR_CONFIG, "API key file %s: owned by uid "
			     "%ld, not by you (uid %ld)", path,
			     (long)sb.st_uid, (long)getuid());
	else if (sb.st_mode & 077)
		rc = err_set(LLM_ERR_CONFIG, "API key file %s: mode %04o lets "
			     "others read it; chmod 600 %s", path,
			     (unsigned)(sb.st_mode & 07777), path);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	n = read(fd, buf, KEY_FILE_MAX);
	close(fd);
	if (n < 0)
		return err_set(LLM_ERR_CONFIG, "API key file %s: %s", path,
			       strerror(errno));
	buf[n] = '\0';
	if ((nl = strpbrk(buf, "\r\n")))
		*nl = '\0';
	else if (n == KEY_FILE_MAX)
		rc = err_set(LLM_ERR_CONFIG, "API key file %s: the key is longer "
			     "than %d bytes", path, KEY_FILE_MAX);
	if (rc == 0 && !*trim(buf))
		rc = err_set(LLM_ERR_CONFIG, "API key file %s: empty", path);
	else if (rc == 0 && !(cfg->api_key = strdup(trim(buf))))
		rc = err_set(ERR_NOMEM, "out of memory");
	memset(buf, 0, sizeof(buf));
	return rc;
}

static bool
key_is_printable(const char *k)
{
	for (; *k; k++)
		if ((unsigned char)*k <= ' ' || (unsigned char)*k >= 0x7f)
			return false;
	return true;
}

static int
load_key(struct llm_config *cfg)
{
	const char *env = getenv("VERDICT_LLM_API_KEY");
	const char *penv = provider_key_env[cfg->provider];
	int rc = 0;

	if ((!env || !*env) && penv)
		env = getenv(penv);
	if (env && *env) {
		if (!(cfg->api_key = strdup(env)))
			return err_set(ERR_NOMEM, "out of memory");
	} else if (cfg->key_file) {
		if ((rc = read_key_file(cfg, cfg->key_file)) < 0)
			return rc;
	} else if (cfg->provider != LLM_OLLAMA) {
		return err_set(LLM_ERR_CONFIG, "%s needs an API key: set "
			       "VERDICT_LLM_API_KEY%s%s or api_key_file",
			       provider_names[cfg->provider],
			       penv ? ", " : "", penv ? penv : "");
	}
	/* A key goes into an HTTP header: a newline would forge another. */
	if (cfg->api_key && !key_is_printable(cfg->api_key))
		return err_set(LLM_ERR_CONFIG, "the API key holds spaces or "
			       "control characters");
	return 0;
}

int
llm_config_load(struct llm_config *cfg)
{
	char *path = config_path();
	int rc = 0;

	if (path)
		rc = read_file(cfg, path);
	if (rc == 0)
		rc = read_env(cfg);
	if (rc == 0 && cfg->provider == LLM_PROVIDER_COUNT)
		rc = err_set(LLM_ERR_CONFIG, "no model is configured: set "
			     "provider, url and model in %s, or "
			     "VERDICT_LLM_PROVIDER, VERDICT_LLM_URL and "
			     "VERDICT_LLM_MODEL", path ? path
			     : "$XDG_CONFIG_HOME/verdict/config");
	if (rc == 0 && !cfg->model)
		rc = err_set(LLM_ERR_CONFIG, "no model name: set `model` or "
			     "VERDICT_LLM_MODEL");
	if (rc == 0 && !cfg->url &&
	    !(cfg->url = strdup(provider_default_url[cfg->provider])))
		rc = err_set(ERR_NOMEM, "out of memory");
	if (rc == 0 && strncasecmp(cfg->url, "https://", 8) != 0 &&
	    strncasecmp(cfg->url, "http://", 7) != 0)
		rc = err_set(LLM_ERR_CONFIG, "url \"%s\": give an http:// or "
			     "https:// address", cfg->url);
	if (rc == 0)
		rc = load_key(cfg);
	free(path);
	return rc;
}
