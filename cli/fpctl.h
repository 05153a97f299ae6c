/* SPDX-License-Identifier: GPL-2.0-only */
/* fpctl: shared declarations of the command, netlink and printing layers. */
#ifndef FPCTL_H
#define FPCTL_H

#include <stdbool.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit status: success, the command failed, the command line is invalid. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* Called with the generic netlink command and the parsed attributes. */
typedef int (*fp_msg_cb)(uint8_t cmd, struct nlattr **tb, void *arg);

/* Global options (fpctl.c), as ip spells them. */
extern bool opt_json;		/* -json */
extern bool opt_pretty;		/* -pretty */
extern bool opt_oneline;	/* -oneline: one line per record */
extern int opt_stats;		/* -stats, repeatable */
enum { TS_NONE, TS_LONG, TS_SHORT };
extern int opt_timestamp;	/* -timestamp (TS_LONG), -tshort (TS_SHORT) */

/* One command of an object: "fpctl OBJECT NAME ARGS...". */
struct fp_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

/* Objects without commands (argv starts after the object name). */
int do_enable(int argc, char **argv);
int do_disable(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_monitor(int argc, char **argv);
int do_save(int argc, char **argv);

extern const struct fp_cmd dev_cmds[], rule_cmds[], flow_cmds[], config_cmds[];
extern const char stats_help[], monitor_help[], enable_help[], disable_help[],
	save_help[];

/* Messages: every error is one "Error: ..." line on stderr. */
void __attribute__((format(printf, 1, 2))) fp_err(const char *fmt, ...);
int __attribute__((format(printf, 1, 2))) usage_err(const char *fmt, ...);

/* Abbreviations as ip accepts them: unique prefixes of a table's names. */
enum { NAME_NONE = -1, NAME_AMBIGUOUS = -2 };
int name_match(const char *word, const void *table, size_t stride);
int name_find(const char *word, const void *table, size_t stride,
	      const char *what, const char *ctx, const char *hint);

/*
 * Keyword/value scanner.  Every keyword of this grammar takes one value;
 * kv_next() accepts unique abbreviations and rejects unknown, ambiguous
 * and repeated keywords and missing values.
 */
struct kv {
	int argc;
	char **argv;
	const char *cmd;		/* "rule add", for messages */
	const char *const *keys;	/* NULL-terminated */
	uint32_t seen;
};

enum { KV_END = -1, KV_ERR = -2 };
int kv_next(struct kv *kv, const char **val);
int no_args(const char *cmd, int argc, char **argv);

/*
 * Value parsers: 0, or the error is printed ("KEYWORD VALUE: problem
 * (allowed)") and its exit status returned.
 */
struct prefix {
	uint8_t family;		/* AF_INET, AF_INET6, 0 for "any" */
	uint8_t len;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

int parse_uint(const char *kw, const char *val, uint64_t min, uint64_t max,
	       uint64_t *out);
int parse_mark(const char *val, uint32_t *mark, uint32_t *mask);
int parse_port(const char *kw, const char *val, uint16_t *out);
int parse_port_range(const char *kw, const char *val, uint16_t *min,
		     uint16_t *max);
int parse_prefix(const char *kw, const char *val, bool need_host,
		 struct prefix *p);
int parse_choice(const char *kw, const char *val, const char *const *names,
		 size_t n);
int parse_family(const char *val, uint8_t *family);
int parse_proto(const char *val, uint8_t *proto);
int check_ifname(const char *kw, const char *val);
int parse_ifname(const char *kw, const char *val, uint32_t *ifindex);
int family_check(uint8_t *family, const char *by, const char *kw,
		 const char *val, const struct prefix *p);

unsigned int addr_len(uint8_t family);
const char *proto_name(uint8_t proto);
const char *enum_name(const char *const *names, size_t n, uint32_t v);
const char *addr_str(uint8_t family, const struct nlattr *a, char *buf);
void pr_dev(const char *key, const char *fmt, uint32_t ifindex);

/*
 * The contract's names, generated from uapi/fastpath.yaml (names.c, by
 * gen-names.py): enums indexed by value; attribute sets indexed by
 * attribute - 1 and NULL-terminated (their pad attribute has no name),
 * with the limits of their checks.
 */
struct fp_range {
	uint32_t min, max;
};

extern const char *const fp_rule_action_names[], *const fp_del_reason_names[],
	*const fp_why_names[], *const fp_verify_field_names[];
extern const size_t fp_rule_action_count, fp_del_reason_count, fp_why_count,
	fp_verify_field_count;
extern const char *const fp_xmit_mode_names[];
extern const char *const fp_families_names[];
extern const size_t fp_families_count;
extern const size_t fp_xmit_mode_count;
extern const char *const fp_exceptions_names[], *const fp_config_names[];
extern const struct fp_range fp_config_ranges[];

/* The namespace's settings, by attribute - 1 (socket open). */
int config_get(uint32_t *vals);

/* The enabled devices (or @ifname) through @cb (socket open). */
int dev_request(const char *ifname, fp_msg_cb cb, void *arg);

/* fpctl save: each part prints its state as fpctl commands (socket open). */
int config_save(void);
int rule_save(void);
int dev_save(void);

/* The members of one flow, text or JSON (flow.c, used by monitor). */
enum {
	FLOW_ONELINE = 1 << 0,	/* both directions on one line */
	FLOW_EXPLAIN = 1 << 1,	/* flow explain: every direction's state */
};
void print_flow(struct nlattr **tb, unsigned int flags);

/* Netlink layer (nl.c). */
/* Largest attribute number of any fastpath attribute set. */
#define FP_ATTR_MAX 31

int fp_open(bool quiet);
int fp_open_monitor(int *fd);
void fp_close(void);
struct nl_msg *fp_msg(uint8_t cmd, bool dump);
void put_u8(struct nl_msg *msg, int type, uint8_t v);
void put_u16(struct nl_msg *msg, int type, uint16_t v);
void put_u32(struct nl_msg *msg, int type, uint32_t v);
void put_str(struct nl_msg *msg, int type, const char *s);
void put_addr(struct nl_msg *msg, int type, const struct prefix *p);
int fp_request(struct nl_msg *msg, int maxattr, fp_msg_cb cb, void *arg);
int fp_recv_events(int maxattr, fp_msg_cb cb, void *arg);
const char *fp_version(void);

uint8_t attr_u8(const struct nlattr *a);
uint16_t attr_u16(const struct nlattr *a);
uint32_t attr_u32(const struct nlattr *a);
uint64_t attr_u64(const struct nlattr *a);
uint64_t attr_uint(const struct nlattr *a);
int attr_nested(struct nlattr **tb, int maxattr, const struct nlattr *nest);

/* Printing layer (print.c): one call prints text or adds a JSON member. */
enum pr_mode { PR_ANY, PR_JSON, PR_TEXT };

void pr_table_begin(void);
void pr_table_end(bool ok);
void pr_open_object(const char *key);
void pr_close_object(void);
void pr_str(enum pr_mode m, const char *key, const char *fmt, const char *val);
void pr_u64(enum pr_mode m, const char *key, const char *fmt, uint64_t val);
void pr_bool(enum pr_mode m, const char *key, const char *fmt, bool val);
void __attribute__((format(printf, 1, 2))) pr_text(const char *fmt, ...);
void pr_flags(const char *key, const char *label, const char *const *names,
	      size_t n, uint32_t flags);
void pr_ms(const char *key, const char *label, uint64_t ms);
char *snake_case(const char *name, char *buf, size_t len);

#endif
