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

static void print_tuple(uint8_t family, const char *key,
			const struct nlattr *nest)
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
	if (tb[FASTPATH_A_TUPLE_OIF])
		pr_dev("oif", " via %s", attr_u32(tb[FASTPATH_A_TUPLE_OIF]));
	pr_bool(PR_JSON, "offloaded", NULL, offloaded);
	pr_bool(PR_TEXT, NULL, " pending", !offloaded);
	pr_str(PR_JSON, "xlat_src", NULL, addr_str(family, xs, a));
	pr_str(PR_JSON, "xlat_dst", NULL, addr_str(family, xd, a));
	pr_u64(PR_JSON, "xlat_sport", NULL, xsp);
	pr_u64(PR_JSON, "xlat_dport", NULL, xdp);
	if (strcmp(src, xsrc) || strcmp(dst, xdst))
		pr_text(" nat %s -> %s", xsrc, xdst);
	pr_u64(PR_ANY, "packets", " packets %" PRIu64,
	       attr_u64(tb[FASTPATH_A_TUPLE_PACKETS]));
	pr_u64(PR_ANY, "bytes", " bytes %" PRIu64,
	       attr_u64(tb[FASTPATH_A_TUPLE_BYTES]));
	pr_text(" ");
	pr_ms("idle_ms", "idle", attr_u64(tb[FASTPATH_A_TUPLE_IDLE_MS]));
	pr_close_object();
}

/*
 * The members of one flow, inside an object the caller opened.  Text: the
 * original direction on the first line and the reply on an indented second
 * one, or both on one line (-oneline, and the monitor).
 */
void print_flow(struct nlattr **tb, bool oneline)
{
	uint8_t family = attr_u8(tb[FASTPATH_A_FLOW_FAMILY]);

	pr_u64(PR_ANY, "id", "id %" PRIu64 " ", attr_u32(tb[FASTPATH_A_FLOW_ID]));
	pr_u64(PR_JSON, "family", NULL, family == AF_INET6 ? 6 : 4);
	pr_str(PR_ANY, "proto", "%s ",
	       proto_name(attr_u8(tb[FASTPATH_A_FLOW_PROTO])));
	pr_ms("age_ms", "age", attr_u64(tb[FASTPATH_A_FLOW_AGE_MS]));
	pr_text(" ");
	print_tuple(family, "orig", tb[FASTPATH_A_FLOW_ORIG]);
	pr_text(oneline ? " reply " : "\n    reply ");
	print_tuple(family, "reply", tb[FASTPATH_A_FLOW_REPLY]);
}

static int flow_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	(void)arg;
	pr_open_object(NULL);
	print_flow(tb, opt_oneline);
	pr_text("\n");
	pr_close_object();
	return 0;
}

enum { F_FAMILY, F_DEV, F_SRC, F_DST, F_PROTO, F_SPORT, F_DPORT };

static const char *const filter_keys[] = {
	"family", "dev", "src", "dst", "proto", "sport", "dport", NULL
};

struct filter {
	uint32_t seen;		/* bits of F_* */
	uint8_t family;
	uint8_t proto;
	uint32_t ifindex;
	struct prefix src, dst;
	uint16_t sport, dport;
};

/* Filters for show and flush; with @lookup, the exact tuple for get. */
static int parse_filter(const char *cmd, bool lookup, int argc, char **argv,
			struct filter *f)
{
	struct kv kv = { argc, argv, cmd, filter_keys, 0 };
	const char *val, *by, *src = NULL, *dst = NULL;
	int k, err = 0;

	memset(f, 0, sizeof(*f));
	while (!err && (k = kv_next(&kv, &val)) >= 0) {
		switch (k) {
		case F_FAMILY:
			err = parse_family(val, &f->family);
			break;
		case F_DEV:
			if (lookup)
				return usage_err("unknown keyword \"dev\" for \"%s\"", cmd);
			err = parse_ifname("dev", val, &f->ifindex);
			break;
		case F_SRC:
			err = parse_prefix("src", val, lookup, &f->src);
			src = val;
			break;
		case F_DST:
			err = parse_prefix("dst", val, lookup, &f->dst);
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
		}
	}
	if (err)
		return err;
	if (k == KV_ERR)
		return EXIT_USAGE;
	/* The addresses give the family, or must agree with "family". */
	by = kv.seen & 1u << F_FAMILY ? "family" : "src";
	if (src)
		err = family_check(&f->family, by, "src", src, &f->src);
	if (!err && dst)
		err = family_check(&f->family, by, "dst", dst, &f->dst);
	if (err)
		return err;
	f->seen = kv.seen;
	if (lookup) {
		static const int need[] = { F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(need); i++)
			if (!(f->seen & 1u << need[i]))
				return usage_err("missing keyword \"%s\" for \"%s\"",
						 filter_keys[need[i]], cmd);
	}
	return EXIT_OK;
}

static void put_filter(struct nl_msg *msg, const struct filter *f, bool lookup)
{
	if (f->family)
		put_u8(msg, FASTPATH_A_FLOW_FAMILY, f->family);
	if (f->seen & 1u << F_PROTO)
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
	if (f->seen & 1u << F_SPORT)
		put_u16(msg, FASTPATH_A_FLOW_SPORT, f->sport);
	if (f->seen & 1u << F_DPORT)
		put_u16(msg, FASTPATH_A_FLOW_DPORT, f->dport);
}

/* Parse, then open the socket and build the request: show, get and flush. */
static int flow_request(const char *cmd, uint8_t nlcmd, bool dump, bool lookup,
			int argc, char **argv, struct nl_msg **msg)
{
	struct filter f;
	int err;

	err = parse_filter(cmd, lookup, argc, argv, &f);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	*msg = fp_msg(nlcmd, dump);
	if (!*msg)
		return EXIT_FAIL;
	put_filter(*msg, &f, lookup);
	return EXIT_OK;
}

static int flow_show(int argc, char **argv)
{
	struct nl_msg *msg;
	int err;

	err = flow_request("flow show", FASTPATH_CMD_FLOW_GET, true, false,
			   argc, argv, &msg);
	if (err)
		return err;
	pr_table_begin();
	err = fp_request(msg, FASTPATH_A_FLOW_MAX, flow_cb, NULL);
	pr_table_end(!err);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int flow_get(int argc, char **argv)
{
	struct nl_msg *msg;
	int err;

	err = flow_request("flow get", FASTPATH_CMD_FLOW_GET, false, true,
			   argc, argv, &msg);
	if (err)
		return err;
	/* A table of one, as ip -j prints a single route it gets. */
	pr_table_begin();
	err = fp_request(msg, FASTPATH_A_FLOW_MAX, flow_cb, NULL);
	pr_table_end(!err);
	return err ? EXIT_FAIL : EXIT_OK;
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

	err = flow_request("flow flush", FASTPATH_CMD_FLOW_FLUSH, false, false,
			   argc, argv, &msg);
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
	  "[ family { 4 | 6 } ] proto { tcp | udp } src ADDR dst ADDR sport N dport N" },
	{ "flush", flow_flush, FILTERS },
	{ NULL }
};
