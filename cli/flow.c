// SPDX-License-Identifier: GPL-2.0-only
/* fpctl flow show|get|flush, and the flow printer shared with monitor. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/fastpath.h>

#include "fpctl.h"

/* "10.0.0.1:80" or "[fd00::1]:80" */
static const char *endpoint(uint8_t family, const struct nlattr *addr,
			    uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 addr_str(family, addr, a), port);
	return buf;
}

/*
 * Where a direction stands, when the kernel says (flows, explain): the
 * reason, and its detail (a verify-field, a rule's pref).  Text: " why
 * REASON [DETAIL]"; JSON: "why", "why_detail" (the number) and, for a
 * verification mismatch, "verify_field" (its name).
 */
static void print_why(struct nlattr **tb)
{
	uint32_t why = attr_u32(tb[FASTPATH_A_TUPLE_WHY]);
	uint32_t detail = attr_u32(tb[FASTPATH_A_TUPLE_WHY_DETAIL]);

	if (!tb[FASTPATH_A_TUPLE_WHY])
		return;
	pr_str(PR_JSON, "why", NULL, enum_name(fp_why_names, fp_why_count, why));
	if (tb[FASTPATH_A_TUPLE_WHY_DETAIL])
		pr_u64(PR_JSON, "why_detail", NULL, detail);
	if (why == FASTPATH_WHY_OFFLOADED)
		return;
	pr_str(PR_TEXT, NULL, " why %s",
	       enum_name(fp_why_names, fp_why_count, why));
	if (!tb[FASTPATH_A_TUPLE_WHY_DETAIL])
		return;
	if (why == FASTPATH_WHY_VERIFY)
		pr_str(PR_ANY, "verify_field", " %s",
		       enum_name(fp_verify_field_names, fp_verify_field_count,
				 detail));
	else
		pr_u64(PR_TEXT, NULL, " %" PRIu64, detail);
}

static void print_tuple(uint8_t family, const char *key,
			const struct nlattr *nest, unsigned int flags)
{
	char a[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN + 8], dst[sizeof(src)];
	char xsrc[sizeof(src)], xdst[sizeof(src)];
	struct nlattr *tb[FASTPATH_A_TUPLE_MAX + 1];
	struct nlattr *xs, *xd;
	uint16_t sp, dp, xsp, xdp;
	bool offloaded;

	attr_nested(tb, FASTPATH_A_TUPLE_MAX, nest);
	/* Without translation the tuple leaves as it came. */
	xs = tb[FASTPATH_A_TUPLE_XLAT_SRC] ?: tb[FASTPATH_A_TUPLE_SRC];
	xd = tb[FASTPATH_A_TUPLE_XLAT_DST] ?: tb[FASTPATH_A_TUPLE_DST];
	sp = attr_u16(tb[FASTPATH_A_TUPLE_SPORT]);
	dp = attr_u16(tb[FASTPATH_A_TUPLE_DPORT]);
	xsp = tb[FASTPATH_A_TUPLE_XLAT_SPORT] ?
	      attr_u16(tb[FASTPATH_A_TUPLE_XLAT_SPORT]) : sp;
	xdp = tb[FASTPATH_A_TUPLE_XLAT_DPORT] ?
	      attr_u16(tb[FASTPATH_A_TUPLE_XLAT_DPORT]) : dp;
	offloaded = attr_u8(tb[FASTPATH_A_TUPLE_OFFLOADED]);

	pr_open_object(key);
	/* A direction not learned yet has no devices. */
	if (tb[FASTPATH_A_TUPLE_IIF])
		pr_dev("iif", NULL, attr_u32(tb[FASTPATH_A_TUPLE_IIF]));
	pr_str(PR_JSON, "src", NULL, addr_str(family, tb[FASTPATH_A_TUPLE_SRC], a));
	pr_str(PR_JSON, "dst", NULL, addr_str(family, tb[FASTPATH_A_TUPLE_DST], a));
	pr_u64(PR_JSON, "sport", NULL, sp);
	pr_u64(PR_JSON, "dport", NULL, dp);
	endpoint(family, tb[FASTPATH_A_TUPLE_SRC], sp, src, sizeof(src));
	endpoint(family, tb[FASTPATH_A_TUPLE_DST], dp, dst, sizeof(dst));
	endpoint(family, xs, xsp, xsrc, sizeof(xsrc));
	endpoint(family, xd, xdp, xdst, sizeof(xdst));
	pr_text("%s -> %s", src, dst);
	/* explain names the ingress device too: it may be why. */
	if (flags & FLOW_EXPLAIN && tb[FASTPATH_A_TUPLE_IIF])
		pr_dev("iif", " iif %s", attr_u32(tb[FASTPATH_A_TUPLE_IIF]));
	if (tb[FASTPATH_A_TUPLE_OIF])
		pr_dev("oif", " via %s", attr_u32(tb[FASTPATH_A_TUPLE_OIF]));
	pr_bool(PR_JSON, "offloaded", NULL, offloaded);
	pr_str(PR_JSON, "xlat_src", NULL, addr_str(family, xs, a));
	pr_str(PR_JSON, "xlat_dst", NULL, addr_str(family, xd, a));
	pr_u64(PR_JSON, "xlat_sport", NULL, xsp);
	pr_u64(PR_JSON, "xlat_dport", NULL, xdp);
	if (strcmp(src, xsrc) || strcmp(dst, xdst))
		pr_text(" nat %s -> %s", xsrc, xdst);
	/* A flow's direction is fast unless it says why not; explain says. */
	if (flags & FLOW_EXPLAIN)
		pr_text(offloaded ? " offloaded" : " not offloaded");
	else if (!offloaded && !tb[FASTPATH_A_TUPLE_WHY])
		pr_text(" pending");
	print_why(tb);
	/* Counters and idle time: flows have them, explain has not. */
	if (tb[FASTPATH_A_TUPLE_PACKETS])
		pr_u64(PR_ANY, "packets", " packets %" PRIu64,
		       attr_u64(tb[FASTPATH_A_TUPLE_PACKETS]));
	if (tb[FASTPATH_A_TUPLE_BYTES])
		pr_u64(PR_ANY, "bytes", " bytes %" PRIu64,
		       attr_u64(tb[FASTPATH_A_TUPLE_BYTES]));
	if (tb[FASTPATH_A_TUPLE_IDLE_MS]) {
		pr_text(" ");
		pr_ms("idle_ms", "idle", attr_u64(tb[FASTPATH_A_TUPLE_IDLE_MS]));
	}
	pr_close_object();
}

/*
 * The members of one flow (or of a connection flow explain describes),
 * inside an object the caller opened.  Text: the original direction on the
 * first line and the reply on an indented second one, or both on one line
 * (FLOW_ONELINE: -oneline, and the monitor).  Members the kernel did not
 * send are left out: a flow has an id and an age, a connection explained
 * its conntrack id.
 */
void print_flow(struct nlattr **tb, unsigned int flags)
{
	uint8_t family = attr_u8(tb[FASTPATH_A_FLOW_FAMILY]);

	if (tb[FASTPATH_A_FLOW_ID])
		pr_u64(PR_ANY, "id", "id %" PRIu64 " ",
		       attr_u32(tb[FASTPATH_A_FLOW_ID]));
	if (tb[FASTPATH_A_FLOW_CT_ID])
		pr_u64(PR_ANY, "ct_id", "ct-id %" PRIu64 " ",
		       attr_u32(tb[FASTPATH_A_FLOW_CT_ID]));
	if (tb[FASTPATH_A_FLOW_ZONE])
		pr_u64(PR_ANY, "zone", "zone %" PRIu64 " ",
		       attr_u16(tb[FASTPATH_A_FLOW_ZONE]));
	pr_u64(PR_JSON, "family", NULL, family == AF_INET6 ? 6 : 4);
	pr_str(PR_ANY, "proto", "%s ",
	       proto_name(attr_u8(tb[FASTPATH_A_FLOW_PROTO])));
	if (tb[FASTPATH_A_FLOW_AGE_MS]) {
		pr_ms("age_ms", "age", attr_u64(tb[FASTPATH_A_FLOW_AGE_MS]));
		pr_text(" ");
	}
	print_tuple(family, "orig", tb[FASTPATH_A_FLOW_ORIG], flags);
	pr_text(flags & FLOW_ONELINE ? " reply " : "\n    reply ");
	print_tuple(family, "reply", tb[FASTPATH_A_FLOW_REPLY], flags);
}

/* A flow, or with @arg (FLOW_* flags) a connection explained. */
static int flow_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	const unsigned int *flags = arg;

	(void)cmd;
	pr_open_object(NULL);
	print_flow(tb, (flags ? *flags : 0) | (opt_oneline ? FLOW_ONELINE : 0));
	pr_text("\n");
	pr_close_object();
	return 0;
}

enum { F_FAMILY, F_DEV, F_SRC, F_DST, F_PROTO, F_SPORT, F_DPORT, F_ZONE };

static const char *const filter_keys[] = {
	"family", "dev", "src", "dst", "proto", "sport", "dport", "zone", NULL
};

#define BIT(k) (1u << (k))
#define TUPLE_KEYS (BIT(F_FAMILY) | BIT(F_SRC) | BIT(F_DST) | BIT(F_PROTO) | \
		    BIT(F_SPORT) | BIT(F_DPORT))

/*
 * What a command takes: show and flush filter, get looks up one flow's
 * exact tuple, explain a connection's (and its conntrack zone).
 */
struct filter_mode {
	const char *cmd;
	uint8_t nlcmd;
	bool dump;
	bool lookup;		/* the whole tuple, plain addresses */
	uint32_t keys;		/* bits of F_* taken */
};

static const struct filter_mode show_mode = {
	"flow show", FASTPATH_CMD_FLOW_GET, true, false, TUPLE_KEYS | BIT(F_DEV)
};
static const struct filter_mode flush_mode = {
	"flow flush", FASTPATH_CMD_FLOW_FLUSH, false, false,
	TUPLE_KEYS | BIT(F_DEV)
};
static const struct filter_mode get_mode = {
	"flow get", FASTPATH_CMD_FLOW_GET, false, true, TUPLE_KEYS | BIT(F_ZONE)
};
static const struct filter_mode explain_mode = {
	"flow explain", FASTPATH_CMD_FLOW_EXPLAIN, false, true,
	TUPLE_KEYS | BIT(F_ZONE)
};

struct filter {
	uint32_t seen;		/* bits of F_* */
	uint8_t family;
	uint8_t proto;
	uint32_t ifindex;
	struct prefix src, dst;
	uint16_t sport, dport;
	uint64_t zone;
};

static int parse_filter(const struct filter_mode *m, int argc, char **argv,
			struct filter *f)
{
	struct kv kv = { argc, argv, m->cmd, filter_keys, 0 };
	const char *val, *by, *src = NULL, *dst = NULL;
	int k, err = 0;

	memset(f, 0, sizeof(*f));
	while (!err && (k = kv_next(&kv, &val)) >= 0) {
		if (!(m->keys & BIT(k)))
			return usage_err("unknown keyword \"%s\" for \"%s\"",
					 kv.argv[-2], m->cmd);
		switch (k) {
		case F_FAMILY:
			err = parse_family(val, &f->family);
			break;
		case F_DEV:
			err = parse_ifname("dev", val, &f->ifindex);
			break;
		case F_SRC:
			err = parse_prefix("src", val, m->lookup, &f->src);
			src = val;
			break;
		case F_DST:
			err = parse_prefix("dst", val, m->lookup, &f->dst);
			dst = val;
			break;
		case F_PROTO:
			err = parse_proto(val, &f->proto);
			break;
		case F_SPORT:
			err = parse_port("sport", val, &f->sport);
			break;
		case F_DPORT:
			err = parse_port("dport", val, &f->dport);
			break;
		case F_ZONE:
			err = parse_uint("zone", val, 0, UINT16_MAX, &f->zone);
			break;
		}
	}
	if (err)
		return err;
	if (k == KV_ERR)
		return EXIT_USAGE;
	/* The addresses give the family, or must agree with "family". */
	by = kv.seen & BIT(F_FAMILY) ? "family" : "src";
	if (src)
		err = family_check(&f->family, by, "src", src, &f->src);
	if (!err && dst)
		err = family_check(&f->family, by, "dst", dst, &f->dst);
	if (err)
		return err;
	f->seen = kv.seen;
	if (m->lookup) {
		static const int need[] = { F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(need); i++)
			if (!(f->seen & BIT(need[i])))
				return usage_err("missing keyword \"%s\" for \"%s\"",
						 filter_keys[need[i]], m->cmd);
	}
	return EXIT_OK;
}

static void put_filter(struct nl_msg *msg, const struct filter *f, bool lookup)
{
	if (f->family)
		put_u8(msg, FASTPATH_A_FLOW_FAMILY, f->family);
	if (f->seen & BIT(F_PROTO))
		put_u8(msg, FASTPATH_A_FLOW_PROTO, f->proto);
	if (f->ifindex)
		put_u32(msg, FASTPATH_A_FLOW_IFINDEX, f->ifindex);
	/* A prefix of no family ("any") filters nothing. */
	if (f->src.family) {
		put_addr(msg, FASTPATH_A_FLOW_SRC, &f->src);
		if (!lookup)
			put_u8(msg, FASTPATH_A_FLOW_SRC_LEN, f->src.len);
	}
	if (f->dst.family) {
		put_addr(msg, FASTPATH_A_FLOW_DST, &f->dst);
		if (!lookup)
			put_u8(msg, FASTPATH_A_FLOW_DST_LEN, f->dst.len);
	}
	if (f->seen & BIT(F_SPORT))
		put_u16(msg, FASTPATH_A_FLOW_SPORT, f->sport);
	if (f->seen & BIT(F_DPORT))
		put_u16(msg, FASTPATH_A_FLOW_DPORT, f->dport);
	if (f->seen & BIT(F_ZONE))
		put_u16(msg, FASTPATH_A_FLOW_ZONE, f->zone);
}

/* Parse, then open the socket and build the request of the mode. */
static int flow_request(const struct filter_mode *m, int argc, char **argv,
			struct nl_msg **msg)
{
	struct filter f;
	int err;

	err = parse_filter(m, argc, argv, &f);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	*msg = fp_msg(m->nlcmd, m->dump);
	if (!*msg)
		return EXIT_FAIL;
	put_filter(*msg, &f, m->lookup);
	return EXIT_OK;
}

/* show and get: a table (of one for get, as ip -j prints a route it gets). */
static int flow_table(const struct filter_mode *m, int argc, char **argv)
{
	struct nl_msg *msg;
	int err;

	err = flow_request(m, argc, argv, &msg);
	if (err)
		return err;
	pr_table_begin();
	err = fp_request(msg, FASTPATH_A_FLOW_MAX, flow_cb, NULL);
	pr_table_end(!err);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int flow_show(int argc, char **argv)
{
	return flow_table(&show_mode, argc, argv);
}

static int flow_get(int argc, char **argv)
{
	return flow_table(&get_mode, argc, argv);
}

/* Why each direction of a connection conntrack knows is fast or not. */
static int flow_explain(int argc, char **argv)
{
	static const unsigned int flags = FLOW_EXPLAIN;
	struct nl_msg *msg;
	int err;

	err = flow_request(&explain_mode, argc, argv, &msg);
	if (err)
		return err;
	return fp_request(msg, FASTPATH_A_FLOW_MAX, flow_cb, (void *)&flags) ?
	       EXIT_FAIL : EXIT_OK;
}

static int flush_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	uint32_t n = attr_u32(tb[FASTPATH_A_FLOW_COUNT]);

	(void)cmd;
	(void)arg;
	pr_open_object(NULL);
	pr_u64(PR_ANY, "flushed", "Flushed %" PRIu64, n);
	pr_text(n == 1 ? " flow\n" : " flows\n");
	pr_close_object();
	return 0;
}

static int flow_flush(int argc, char **argv)
{
	struct nl_msg *msg;
	int err;

	err = flow_request(&flush_mode, argc, argv, &msg);
	if (err)
		return err;
	return fp_request(msg, FASTPATH_A_FLOW_MAX, flush_cb, NULL) ?
	       EXIT_FAIL : EXIT_OK;
}

#define FILTERS "[ family { 4 | 6 } ] [ dev IFNAME ] [ src PREFIX ] [ dst PREFIX ]\n" \
		"[ proto { tcp | udp } ] [ sport N ] [ dport N ]"

const struct fp_cmd flow_cmds[] = {
	{ "show", flow_show, FILTERS },
	{ "get", flow_get,
	  "[ family { 4 | 6 } ] proto { tcp | udp } src ADDR dst ADDR sport N dport N\n"
	  "[ zone N ]" },
	{ "flush", flow_flush, FILTERS },
	{ "explain", flow_explain,
	  "[ family { 4 | 6 } ] proto { tcp | udp } src ADDR dst ADDR sport N dport N\n"
	  "[ zone N ]" },
	{ NULL }
};
