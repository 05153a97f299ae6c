// SPDX-License-Identifier: GPL-2.0-only
/* fpctl rule add|del|flush|show */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/fastpath.h>

#include "fpctl.h"

/* Indexes into add_keys. */
enum {
	R_PREF, R_IIF, R_OIF, R_SRC, R_DST, R_PROTO, R_SPORT, R_DPORT, R_DSCP,
	R_MARK, R_ACTION
};

static const char *const add_keys[] = {
	"pref", "iif", "oif", "src", "dst", "proto", "sport", "dport", "dscp",
	"mark", "action", NULL
};

struct rule {
	uint64_t pref, dscp;
	uint32_t action, mark, mask;
	const char *iif, *oif;	/* device names, a trailing * a wildcard */
	struct prefix src, dst;
	uint8_t family, proto;
	uint16_t sport[2], dport[2];
};

static int parse_action(const char *val, uint32_t *action)
{
	int i = parse_choice("action", val, fp_rule_action_names,
			     fp_rule_action_count);

	if (i < 0)
		return EXIT_USAGE;
	*action = i;
	return 0;
}

static int parse_rule(int argc, char **argv, struct rule *r, uint32_t *seen)
{
	struct kv kv = { argc, argv, "rule add", add_keys, 0 };
	const char *val, *first = NULL;
	struct prefix *p;
	int k, err = 0;

	while (!err && (k = kv_next(&kv, &val)) >= 0) {
		switch (k) {
		case R_PREF:
			err = parse_uint("pref", val, 1, UINT32_MAX, &r->pref);
			break;
		case R_IIF:
			err = check_ifname("iif", val);
			r->iif = val;
			break;
		case R_OIF:
			err = check_ifname("oif", val);
			r->oif = val;
			break;
		case R_SRC:
		case R_DST:
			/* The first address gives the family, the other agrees. */
			p = k == R_SRC ? &r->src : &r->dst;
			err = parse_prefix(add_keys[k], val, false, p) ?:
			      family_check(&r->family, first, add_keys[k], val, p);
			if (!first && p->family)
				first = add_keys[k];
			break;
		case R_PROTO:
			err = parse_proto(val, &r->proto);
			break;
		case R_SPORT:
			err = parse_port_range("sport", val, &r->sport[0], &r->sport[1]);
			break;
		case R_DPORT:
			err = parse_port_range("dport", val, &r->dport[0], &r->dport[1]);
			break;
		case R_DSCP:
			err = parse_uint("dscp", val, 0, 63, &r->dscp);
			break;
		case R_MARK:
			err = parse_mark(val, &r->mark, &r->mask);
			break;
		case R_ACTION:
			err = parse_action(val, &r->action);
			break;
		}
	}
	if (err)
		return err;
	if (k == KV_ERR)
		return EXIT_USAGE;
	if (!r->action)
		return usage_err("missing keyword \"action\" for \"rule add\"");
	*seen = kv.seen;
	return EXIT_OK;
}

#define HAS(key) (seen & 1u << (key))

/*
 * Devices are sent by name: the kernel matches them by name, so a rule
 * outlives its device and may name one that does not exist yet.
 */
static int rule_add(int argc, char **argv)
{
	struct rule r = { 0 };
	struct nl_msg *msg;
	uint32_t seen = 0;
	int err;

	err = parse_rule(argc, argv, &r, &seen);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	msg = fp_msg(FASTPATH_CMD_RULE_NEW, false);
	if (!msg)
		return EXIT_FAIL;
	/* Without a pref the kernel picks one after the last rule. */
	if (HAS(R_PREF))
		put_u32(msg, FASTPATH_A_RULE_PREF, r.pref);
	put_u32(msg, FASTPATH_A_RULE_ACTION, r.action);
	if (r.iif)
		put_str(msg, FASTPATH_A_RULE_IIFNAME, r.iif);
	if (r.oif)
		put_str(msg, FASTPATH_A_RULE_OIFNAME, r.oif);
	if (r.family)
		put_u8(msg, FASTPATH_A_RULE_FAMILY, r.family);
	/* A prefix of no family ("any") matches every address. */
	if (r.src.family) {
		put_addr(msg, FASTPATH_A_RULE_SRC, &r.src);
		put_u8(msg, FASTPATH_A_RULE_SRC_LEN, r.src.len);
	}
	if (r.dst.family) {
		put_addr(msg, FASTPATH_A_RULE_DST, &r.dst);
		put_u8(msg, FASTPATH_A_RULE_DST_LEN, r.dst.len);
	}
	if (HAS(R_PROTO))
		put_u8(msg, FASTPATH_A_RULE_PROTO, r.proto);
	if (HAS(R_SPORT)) {
		put_u16(msg, FASTPATH_A_RULE_SPORT_MIN, r.sport[0]);
		put_u16(msg, FASTPATH_A_RULE_SPORT_MAX, r.sport[1]);
	}
	if (HAS(R_DPORT)) {
		put_u16(msg, FASTPATH_A_RULE_DPORT_MIN, r.dport[0]);
		put_u16(msg, FASTPATH_A_RULE_DPORT_MAX, r.dport[1]);
	}
	if (HAS(R_DSCP))
		put_u8(msg, FASTPATH_A_RULE_DSCP, r.dscp);
	if (HAS(R_MARK)) {
		put_u32(msg, FASTPATH_A_RULE_MARK, r.mark);
		put_u32(msg, FASTPATH_A_RULE_MARK_MASK, r.mask);
	}
	return fp_request(msg, 0, NULL, NULL) ? EXIT_FAIL : EXIT_OK;
}

/* "pref N": mandatory for del, optional for show. */
static int parse_pref(const char *cmd, int argc, char **argv, uint64_t *pref)
{
	static const char *const keys[] = { "pref", NULL };
	struct kv kv = { argc, argv, cmd, keys, 0 };
	const char *val;
	int k, err = 0;

	*pref = 0;
	while (!err && (k = kv_next(&kv, &val)) >= 0)
		err = parse_uint("pref", val, 1, UINT32_MAX, pref);
	if (err)
		return err;
	return k == KV_ERR ? EXIT_USAGE : EXIT_OK;
}

static int rule_del(int argc, char **argv)
{
	struct nl_msg *msg;
	uint64_t pref;
	int err;

	err = parse_pref("rule del", argc, argv, &pref);
	if (err)
		return err;
	if (!pref)
		return usage_err("missing keyword \"pref\" for \"rule del\"");
	if (fp_open(false))
		return EXIT_FAIL;
	msg = fp_msg(FASTPATH_CMD_RULE_DEL, false);
	if (!msg)
		return EXIT_FAIL;
	put_u32(msg, FASTPATH_A_RULE_PREF, pref);
	return fp_request(msg, 0, NULL, NULL) ? EXIT_FAIL : EXIT_OK;
}

static int rule_flush(int argc, char **argv)
{
	struct nl_msg *msg;
	int err;

	err = no_args("rule flush", argc, argv);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	msg = fp_msg(FASTPATH_CMD_RULE_FLUSH, false);
	if (!msg)
		return EXIT_FAIL;
	return fp_request(msg, 0, NULL, NULL) ? EXIT_FAIL : EXIT_OK;
}

static void print_prefix(uint8_t family, struct nlattr *addr,
			 struct nlattr *len, const char *key, const char *fmt)
{
	char buf[INET6_ADDRSTRLEN], pfx[INET6_ADDRSTRLEN + 4];

	if (!addr)
		return;
	snprintf(pfx, sizeof(pfx), "%s/%u", addr_str(family, addr, buf),
		 attr_u8(len));
	pr_str(PR_ANY, key, fmt, pfx);
}

static void print_ports(struct nlattr *min, struct nlattr *max,
			const char *key)
{
	char keymin[16], keymax[16];
	uint16_t lo = attr_u16(min), hi = attr_u16(max);

	if (!min)
		return;
	snprintf(keymin, sizeof(keymin), "%s_min", key);
	snprintf(keymax, sizeof(keymax), "%s_max", key);
	pr_u64(PR_JSON, keymin, NULL, lo);
	pr_u64(PR_JSON, keymax, NULL, hi);
	if (lo == hi)
		pr_text(" %s %u", key, lo);
	else
		pr_text(" %s %u-%u", key, lo, hi);
}

/*
 * A rule in the keywords of "rule add": "PREF: ..." for rule show, a
 * whole "rule add pref PREF ..." command line for save (@arg non-NULL).
 */
static int rule_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	uint32_t action = attr_u32(tb[FASTPATH_A_RULE_ACTION]);
	uint8_t family = attr_u8(tb[FASTPATH_A_RULE_FAMILY]);
	bool save = arg;

	(void)cmd;
	pr_open_object(NULL);
	pr_u64(PR_ANY, "pref", save ? "rule add pref %" PRIu64 : "%" PRIu64 ":",
	       attr_u32(tb[FASTPATH_A_RULE_PREF]));
	if (tb[FASTPATH_A_RULE_IIFNAME])
		pr_str(PR_ANY, "iif", " iif %s",
		       nla_get_string(tb[FASTPATH_A_RULE_IIFNAME]));
	if (tb[FASTPATH_A_RULE_OIFNAME])
		pr_str(PR_ANY, "oif", " oif %s",
		       nla_get_string(tb[FASTPATH_A_RULE_OIFNAME]));
	if (tb[FASTPATH_A_RULE_FAMILY])
		pr_u64(PR_JSON, "family", NULL, family == AF_INET6 ? 6 : 4);
	print_prefix(family, tb[FASTPATH_A_RULE_SRC], tb[FASTPATH_A_RULE_SRC_LEN],
		     "src", " src %s");
	print_prefix(family, tb[FASTPATH_A_RULE_DST], tb[FASTPATH_A_RULE_DST_LEN],
		     "dst", " dst %s");
	if (tb[FASTPATH_A_RULE_PROTO])
		pr_str(PR_ANY, "proto", " proto %s",
		       proto_name(attr_u8(tb[FASTPATH_A_RULE_PROTO])));
	print_ports(tb[FASTPATH_A_RULE_SPORT_MIN], tb[FASTPATH_A_RULE_SPORT_MAX],
		    "sport");
	print_ports(tb[FASTPATH_A_RULE_DPORT_MIN], tb[FASTPATH_A_RULE_DPORT_MAX],
		    "dport");
	if (tb[FASTPATH_A_RULE_DSCP])
		pr_u64(PR_ANY, "dscp", " dscp %" PRIu64,
		       attr_u8(tb[FASTPATH_A_RULE_DSCP]));
	if (tb[FASTPATH_A_RULE_MARK]) {
		pr_u64(PR_ANY, "mark", " mark %#" PRIx64,
		       attr_u32(tb[FASTPATH_A_RULE_MARK]));
		pr_u64(PR_ANY, "mark_mask", "/%#" PRIx64,
		       tb[FASTPATH_A_RULE_MARK_MASK] ?
		       attr_u32(tb[FASTPATH_A_RULE_MARK_MASK]) : UINT32_MAX);
	}
	pr_str(PR_ANY, "action", " action %s",
	       enum_name(fp_rule_action_names, fp_rule_action_count, action));
	pr_u64(opt_stats && !save ? PR_ANY : PR_JSON, "hits", " hits %" PRIu64,
	       attr_u64(tb[FASTPATH_A_RULE_HITS]));
	pr_text("\n");
	pr_close_object();
	return 0;
}

/* The rules (or the one of @pref) through rule_cb(). */
static int rule_request(uint64_t pref, bool save)
{
	struct nl_msg *msg = fp_msg(FASTPATH_CMD_RULE_GET, !pref);

	if (!msg)
		return -1;
	if (pref)
		put_u32(msg, FASTPATH_A_RULE_PREF, pref);
	return fp_request(msg, FASTPATH_A_RULE_MAX, rule_cb, save ? &save : NULL);
}

/* For fpctl save: the rules replace any the namespace has. */
int rule_save(void)
{
	printf("rule flush\n");
	return rule_request(0, true);
}

static int rule_show(int argc, char **argv)
{
	uint64_t pref;
	int err;

	err = parse_pref("rule show", argc, argv, &pref);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	pr_table_begin();
	err = rule_request(pref, false);
	pr_table_end(!err);
	return err ? EXIT_FAIL : EXIT_OK;
}

const struct fp_cmd rule_cmds[] = {
	{ "show", rule_show, "[ pref N ]" },
	{ "add", rule_add,
	  "[ pref N ] [ iif IFNAME ] [ oif IFNAME ] [ src PREFIX ] [ dst PREFIX ]\n"
	  "[ proto { tcp | udp } ] [ sport N[-M] ] [ dport N[-M] ] [ dscp N ]\n"
	  "[ mark N[/MASK] ] action { accelerate | bypass }" },
	{ "del", rule_del, "pref N" },
	{ "flush", rule_flush, "" },
	{ NULL }
};
