// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpctl config show|set: timeouts, table limit, counter and verification
 * intervals.  The settings, their keywords and limits are the contract's
 * config attribute set (keyword i is attribute i + 1).
 */
#include <stdio.h>
#include <linux/fastpath.h>

#include "fpctl.h"

static int set(int argc, char **argv)
{
	struct kv kv = { argc, argv, "config set", fp_config_names, 0 };
	struct nl_msg *msg;
	uint32_t vals[FASTPATH_A_CONFIG_MAX];
	const char *val;
	uint64_t v;
	int k, i;

	while ((k = kv_next(&kv, &val)) >= 0) {
		if (parse_uint(fp_config_names[k], val, fp_config_ranges[k].min,
			       fp_config_ranges[k].max, &v))
			return EXIT_USAGE;
		vals[k] = v;
	}
	if (k == KV_ERR)
		return EXIT_USAGE;
	if (!kv.seen)
		return usage_err("nothing to set for \"config set\"");
	if (fp_open(false))
		return EXIT_FAIL;
	msg = fp_msg(FASTPATH_CMD_CONFIG_SET, false);
	if (!msg)
		return EXIT_FAIL;
	for (i = 0; fp_config_names[i]; i++)
		if (kv.seen & 1u << i)
			put_u32(msg, i + 1, vals[i]);
	return fp_request(msg, 0, NULL, NULL) ? EXIT_FAIL : EXIT_OK;
}

static int get_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	uint32_t *vals = arg;
	int i;

	(void)cmd;
	for (i = 0; fp_config_names[i]; i++)
		vals[i] = attr_u32(tb[i + 1]);
	return 0;
}

int config_get(uint32_t *vals)
{
	struct nl_msg *msg = fp_msg(FASTPATH_CMD_CONFIG_GET, false);

	return msg ? fp_request(msg, FASTPATH_A_CONFIG_MAX, get_cb, vals) : -1;
}

/* The settings in the keywords of "config set", after @lead. */
static void print_config(const uint32_t *vals, const char *lead)
{
	char key[32];
	int i;

	pr_open_object(NULL);
	pr_text("%s", lead);
	for (i = 0; fp_config_names[i]; i++) {
		pr_text(i ? " %s " : "%s ", fp_config_names[i]);
		pr_u64(PR_ANY, snake_case(fp_config_names[i], key, sizeof(key)),
		       "%" PRIu64, vals[i]);
	}
	pr_text("\n");
	pr_close_object();
}

static int show(int argc, char **argv)
{
	uint32_t vals[FASTPATH_A_CONFIG_MAX];
	int err;

	err = no_args("config show", argc, argv);
	if (err)
		return err;
	if (fp_open(false) || config_get(vals))
		return EXIT_FAIL;
	print_config(vals, "");
	return EXIT_OK;
}

/* For fpctl save: every setting, so that a saved file is exact. */
int config_save(void)
{
	uint32_t vals[FASTPATH_A_CONFIG_MAX];

	if (config_get(vals))
		return -1;
	print_config(vals, "config set ");
	return 0;
}

const struct fp_cmd config_cmds[] = {
	{ "show", show, "" },
	{ "set", set,
	  "[ flow-limit N ] [ tcp-timeout SECONDS ] [ udp-timeout SECONDS ]\n"
	  "[ stats-interval MS ] [ verify-interval SECONDS ]" },
	{ NULL }
};
