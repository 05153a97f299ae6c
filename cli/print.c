// SPDX-License-Identifier: GPL-2.0-only
/*
 * One printing layer for text and JSON, in the manner of iproute2's
 * print_*() helpers: every call either prints its text format or adds a
 * member to the JSON object being built.
 *
 * A table (a top-level array) is streamed: each element is built with
 * json-c, written and freed as soon as it is closed, so that dumping a
 * large flow table needs memory for one flow only.  A top-level object is
 * written when it is closed, on one line unless -p was given; monitor
 * events are top-level objects and so come out one per line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "fpctl.h"

/* Deepest use: a flow's tuple, or the exceptions of stats. */
#define MAX_DEPTH 2

static json_object *stack[MAX_DEPTH];
static int depth;
static bool streaming;		/* inside a table */
static bool stream_empty;

static int json_flags(void)
{
	return JSON_C_TO_STRING_NOSLASHESCAPE |
	       (opt_pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			   : JSON_C_TO_STRING_PLAIN);
}

/* Write a finished top-level object; inside a table, as an element. */
static void emit(json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, json_flags());

	if (!streaming) {
		printf("%s\n", s);
	} else if (!opt_pretty) {
		printf("%s%s", stream_empty ? "[" : ",", s);
	} else {
		/* Indent the element's own lines one level under the array. */
		fputs(stream_empty ? "[\n  " : ",\n  ", stdout);
		for (; *s; s++) {
			putchar(*s);
			if (*s == '\n')
				fputs("  ", stdout);
		}
	}
	stream_empty = false;
	json_object_put(obj);
	fflush(stdout);
}

/* Add a member to the innermost open object. */
static void add(const char *key, json_object *v)
{
	json_object_object_add(stack[depth - 1], key, v);
}

static void push(const char *key, json_object *v)
{
	if (depth)
		add(key, v);
	stack[depth++] = v;
}

static void pop(void)
{
	json_object *v = stack[--depth];

	if (!depth)
		emit(v);
}

/*
 * A table (top-level array).  Its "[" is written with the first element, so
 * that a request failing before any reply prints nothing but its error;
 * one failing midway still ends with "]", leaving valid JSON.
 */
void pr_table_begin(void)
{
	streaming = opt_json;
	stream_empty = true;
}

void pr_table_end(bool ok)
{
	if (!streaming)
		return;
	streaming = false;
	if (stream_empty && !ok)
		return;
	fputs(stream_empty ? "[]\n" : opt_pretty ? "\n]\n" : "]\n", stdout);
	fflush(stdout);
}

void pr_open_object(const char *key)
{
	if (opt_json)
		push(key, json_object_new_object());
}

void pr_close_object(void)
{
	if (opt_json)
		pop();
	else
		fflush(stdout);
}

/* Formats get the value as their only conversion; NULL prints nothing. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void pr_str(enum pr_mode m, const char *key, const char *fmt, const char *val)
{
	if (opt_json) {
		if (m != PR_TEXT)
			add(key, json_object_new_string(val));
	} else if (m != PR_JSON && fmt) {
		printf(fmt, val);
	}
}

void pr_u64(enum pr_mode m, const char *key, const char *fmt, uint64_t val)
{
	if (opt_json) {
		if (m != PR_TEXT)
			add(key, json_object_new_uint64(val));
	} else if (m != PR_JSON && fmt) {
		printf(fmt, val);
	}
}

#pragma GCC diagnostic pop

/* Text: the format when true; JSON: a boolean member. */
void pr_bool(enum pr_mode m, const char *key, const char *fmt, bool val)
{
	if (opt_json) {
		if (m != PR_TEXT)
			add(key, json_object_new_boolean(val));
	} else if (m != PR_JSON && fmt && val) {
		fputs(fmt, stdout);
	}
}

void pr_text(const char *fmt, ...)
{
	va_list ap;

	if (opt_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/*
 * A flags value by the names of its bits (names[bit], n of them; a bit
 * without one by its value): a JSON array of them, " LABEL name name" in
 * text.
 */
void pr_flags(const char *key, const char *label, const char *const *names,
	      size_t n, uint32_t flags)
{
	json_object *array = opt_json ? json_object_new_array() : NULL;
	unsigned int bit;

	if (!opt_json)
		printf(" %s", label);
	for (bit = 0; bit < 32; bit++) {
		uint32_t v = 1U << bit;
		char num[16];
		const char *name;

		if (!(flags & v))
			continue;
		name = bit < n ? names[bit] : NULL;
		if (!name) {
			snprintf(num, sizeof(num), "%#x", v);
			name = num;
		}
		if (array)
			json_object_array_add(array, json_object_new_string(name));
		else
			printf(" %s", name);
	}
	if (array)
		add(key, array);
}

/* A duration: milliseconds in JSON, "LABEL 1.5s" in text. */
void pr_ms(const char *key, const char *label, uint64_t ms)
{
	if (opt_json)
		add(key, json_object_new_uint64(ms));
	else
		printf("%s %llu.%llus", label, (unsigned long long)ms / 1000,
		       (unsigned long long)ms % 1000 / 100);
}

/* "rx-bytes" -> "rx_bytes": JSON keys are snake_case. */
char *snake_case(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
	return buf;
}
