// SPDX-License-Identifier: GPL-2.0-only
/* fpctl config show|set: timeouts, table limit, counter interval. */
#include <stdio.h>
#include <linux/fastpath.h>

#include "fpctl.h"

/* Keyword i is attribute i + 1, named as in uapi/fastpath.yaml. */
static const char *const keys[] = {
	"flow-limit", "tcp-timeout", "udp-timeout", "stats-interval", NULL
};

/* The minimum of each setting, from the contract's checks. */
static const uint32_t minimum[] = { 1, 1, 1, 100 };

int config_set(uint32_t seen, const uint32_t *vals)
{
	struct nl_msg *msg;
	int i;

	msg = fp_msg(FASTPATH_CMD_CONFIG_SET, false);
	if (!msg)
		return -1;
	for (i = 0; i < FASTPATH_A_CONFIG_MAX; i++)
		if (seen & 1u << i)
			put_u32(msg, i + 1, vals[i]);
	return fp_request(msg, 0, NULL, NULL);
}

static int set(int argc, char **argv)
{
	struct kv kv = { argc, argv, "config set", keys, 0 };
	uint32_t vals[FASTPATH_A_CONFIG_MAX];
	const char *val;
	uint64_t v;
	int k;

	while ((k = kv_next(&kv, &val)) >= 0) {
		if (parse_uint(keys[k], val, minimum[k], UINT32_MAX, &v))
			return EXIT_USAGE;
		vals[k] = v;
	}
	if (k == KV_ERR)
		return EXIT_USAGE;
	if (!kv.seen)
		return usage_err("nothing to set for \"config set\"");
	if (fp_open(false))
		return EXIT_FAIL;
	return config_set(kv.seen, vals) ? EXIT_FAIL : EXIT_OK;
}

static int config_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	char key[32];
	int i;

	(void)cmd;
	(void)arg;
	pr_open_object(NULL);
	for (i = 0; i < FASTPATH_A_CONFIG_MAX; i++) {
		pr_text(i ? " %s " : "%s ", keys[i]);
		pr_u64(PR_ANY, snake_case(keys[i], key, sizeof(key)), "%" PRIu64,
		       attr_u32(tb[i + 1]));
	}
	pr_text("\n");
	pr_close_object();
	return 0;
}

static int show(int argc, char **argv)
{
	struct nl_msg *msg;
	int err;

	err = no_args("config show", argc, argv);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	msg = fp_msg(FASTPATH_CMD_CONFIG_GET, false);
	if (!msg)
		return EXIT_FAIL;
	return fp_request(msg, FASTPATH_A_CONFIG_MAX, config_cb, NULL) ?
	       EXIT_FAIL : EXIT_OK;
}

const struct fp_cmd config_cmds[] = {
	{ "show", show, "" },
	{ "set", set,
	  "[ flow-limit N ] [ tcp-timeout SECONDS ] [ udp-timeout SECONDS ]\n"
	  "[ stats-interval MS ]" },
	{ NULL }
};
