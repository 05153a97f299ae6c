// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpctl save: the namespace's state as fpctl commands, one per line, that
 * "fpctl -batch FILE" applies: every setting, the rules (replacing any the
 * namespace has), then the enabled devices, by name, so that no flow is
 * learned before the rules that decide it are in place.
 */
#include <stdio.h>

#include "fpctl.h"

const char save_help[] = "";

int do_save(int argc, char **argv)
{
	int err;

	err = no_args("save", argc, argv);
	if (err)
		return err;
	if (opt_json)
		return usage_err("\"save\" has no JSON output");
	if (fp_open(false))
		return EXIT_FAIL;
	puts("# fastpath state, written by fpctl save; apply with fpctl -batch FILE");
	return config_save() || rule_save() || dev_save() ? EXIT_FAIL : EXIT_OK;
}
