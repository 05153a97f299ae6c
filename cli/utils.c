// SPDX-License-Identifier: GPL-2.0-only
/* Messages, the keyword scanner and the value parsers shared by commands. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fpctl.h"

static void verr(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("Error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fp_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
}

/* A command-line error: report it and give the exit status to return. */
int usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

/* The index of the next keyword in kv->keys and its value in @val. */
int kv_next(struct kv *kv, const char **val)
{
	const char *kw;
	int i;

	if (!kv->argc)
		return KV_END;
	kw = kv->argv[0];
	for (i = 0; kv->keys[i]; i++)
		if (!strcmp(kw, kv->keys[i]))
			break;
	if (!kv->keys[i]) {
		usage_err("unknown keyword \"%s\" for \"%s\"", kw, kv->cmd);
		return KV_ERR;
	}
	if (kv->seen & (1u << i)) {
		usage_err("duplicate keyword \"%s\" for \"%s\"", kw, kv->cmd);
		return KV_ERR;
	}
	if (kv->argc < 2) {
		usage_err("missing value for \"%s\"", kw);
		return KV_ERR;
	}
	kv->seen |= 1u << i;
	*val = kv->argv[1];
	kv->argc -= 2;
	kv->argv += 2;
	return i;
}

/* For commands that take no arguments. */
int no_args(const char *cmd, int argc, char **argv)
{
	if (argc)
		return usage_err("unknown keyword \"%s\" for \"%s\"", argv[0], cmd);
	return EXIT_OK;
}

/*
 * In @base (0: decimal or 0x hexadecimal), nothing else: "12abc", "-1" and
 * "" fail.  Numbers are decimal but for marks, so that "010" is ten.
 */
static int strtou64(const char *s, uint64_t *out, int base)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_uint(const char *kw, const char *val, uint64_t min, uint64_t max,
	       uint64_t *out)
{
	if (strtou64(val, out, 10) || *out < min || *out > max)
		return usage_err("invalid value \"%s\" for \"%s\"", val, kw);
	return 0;
}

static int port_value(const char *val, const char *s, uint16_t *out)
{
	uint64_t v;

	if (strtou64(s, &v, 10))
		return usage_err("invalid port \"%s\"", val);
	if (v > 65535)
		return usage_err("port out of range \"%s\"", val);
	*out = v;
	return 0;
}

int parse_port(const char *val, uint16_t *out)
{
	return port_value(val, val, out);
}

/* "N[/MASK]", both 32-bit; without a mask every bit counts. */
int parse_mark(const char *val, uint32_t *mark, uint32_t *mask)
{
	const char *slash = strchr(val, '/');
	uint64_t m, k = UINT32_MAX;
	char num[24];

	if (slash && (size_t)(slash - val) < sizeof(num)) {
		memcpy(num, val, slash - val);
		num[slash - val] = '\0';
	} else {
		snprintf(num, sizeof(num), "%s", slash ? "" : val);
	}
	if (strtou64(num, &m, 0) || m > UINT32_MAX ||
	    (slash && (strtou64(slash + 1, &k, 0) || k > UINT32_MAX)))
		return usage_err("invalid value \"%s\" for \"mark\"", val);
	*mark = m;
	*mask = k;
	return 0;
}

/* "N" or "N-M" with N <= M. */
int parse_port_range(const char *val, uint16_t *min, uint16_t *max)
{
	const char *dash = strchr(val, '-');
	char first[16];
	int err;

	if (!dash) {
		err = port_value(val, val, min);
		*max = *min;
		return err;
	}
	if ((size_t)(dash - val) >= sizeof(first))
		return usage_err("invalid port \"%s\"", val);
	memcpy(first, val, dash - val);
	first[dash - val] = '\0';
	err = port_value(val, first, min);
	if (!err)
		err = port_value(val, dash + 1, max);
	if (!err && *min > *max)
		err = usage_err("invalid port range \"%s\"", val);
	return err;
}

/*
 * ADDR[/LEN], IPv4 or IPv6; without /LEN a host prefix.  With @need_host,
 * a plain address is required (flow lookup keys).
 */
int parse_prefix(const char *val, bool need_host, struct prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	uint64_t len;

	if (snprintf(buf, sizeof(buf), "%s", val) >= (int)sizeof(buf))
		goto bad;
	slash = strchr(buf, '/');
	if (slash) {
		if (need_host)
			goto bad;
		*slash++ = '\0';
	}
	if (inet_pton(AF_INET, buf, &p->addr.v4) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, &p->addr.v6) == 1)
		p->family = AF_INET6;
	else
		goto bad;
	len = addr_len(p->family) * 8;
	if (slash && (strtou64(slash, &len, 10) || len > addr_len(p->family) * 8))
		goto bad;
	p->len = len;
	return 0;
bad:
	return usage_err(need_host ? "invalid address \"%s\""
				   : "invalid prefix \"%s\"", val);
}

int parse_family(const char *val, uint8_t *family)
{
	if (!strcmp(val, "4"))
		*family = AF_INET;
	else if (!strcmp(val, "6"))
		*family = AF_INET6;
	else
		return usage_err("invalid value \"%s\" for \"family\"", val);
	return 0;
}

int parse_proto(const char *val, uint8_t *proto)
{
	if (!strcmp(val, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(val, "udp"))
		*proto = IPPROTO_UDP;
	else
		return usage_err("invalid value \"%s\" for \"proto\"", val);
	return 0;
}

/* Names resolve in the target namespace: -n has already switched to it. */
int parse_ifname(const char *val, uint32_t *ifindex)
{
	*ifindex = if_nametoindex(val);
	if (!*ifindex) {
		fp_err("device \"%s\" not found", val);
		return EXIT_FAIL;
	}
	return 0;
}

/* Agree on one address family between "family", "src" and "dst". */
int family_check(uint8_t *family, const struct prefix *p)
{
	if (!*family)
		*family = p->family;
	else if (*family != p->family)
		return usage_err("address families do not match");
	return 0;
}

unsigned int addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return "unknown";
	}
}

/* The name of a contract enum value, from a table indexed by value. */
const char *enum_name(const char *const *names, size_t n, uint32_t v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

/* A device name, or "if<N>" when it is gone or lives elsewhere. */
const char *ifname_str(uint32_t ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

/* @buf holds INET6_ADDRSTRLEN. */
const char *addr_str(uint8_t family, const struct nlattr *a, char *buf)
{
	if (!a || nla_len(a) != (int)addr_len(family) ||
	    !inet_ntop(family, nla_data(a), buf, INET6_ADDRSTRLEN))
		return "?";
	return buf;
}
