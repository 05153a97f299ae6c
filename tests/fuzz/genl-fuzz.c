// SPDX-License-Identifier: GPL-2.0
/*
 * genl-fuzz: send random and malformed Generic Netlink messages to the
 * fastpath family and check that the kernel answers every one of them.
 *
 * Each request carries NLM_F_ACK and its own sequence number, so a correct
 * kernel answers it with an NLMSG_ERROR (ACK or error) or, for a dump, an
 * NLMSG_DONE.  A request left without an answer within the timeout is a
 * failure.  Frames whose nlmsg_len lies outside the datagram are dropped by
 * the netlink core before any family sees them; they are sent too (the
 * family must survive whatever follows) but not expected to be answered.
 *
 * Half of the messages start from a well-formed request of a real command
 * (right attribute types) and get one mutation; the rest are random.  The
 * program changes state when a mutation happens to be valid, so run it in a
 * network namespace of its own.
 *
 * Usage: genl-fuzz [-s SEED] [-n COUNT] [-v]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/fastpath.h>

#define BUF_SIZE	16384
#define RECV_SIZE	(256 * 1024)
#define TIMEOUT_S	10
#define MAX_ERRNO	600

/* Attribute types as the policies should see them. */
enum fz_type { T_U8, T_U16, T_U32, T_U64, T_STR, T_BIN, T_NEST };

struct fz_attr {
	uint16_t type;
	enum fz_type kind;
};

struct fz_cmd {
	uint8_t cmd;
	const struct fz_attr *attrs;
	unsigned int nattrs;
};

#define A(t, k) { FASTPATH_A_##t, T_##k }

static const struct fz_attr dev_attrs[] = {
	A(DEV_IFINDEX, U32), A(DEV_IFNAME, STR), A(DEV_ENABLED, U8),
	A(DEV_RX_PACKETS, U64),
};

static const struct fz_attr rule_attrs[] = {
	A(RULE_PREF, U32), A(RULE_ACTION, U32), A(RULE_IIF, U32),
	A(RULE_OIF, U32), A(RULE_FAMILY, U8), A(RULE_SRC, BIN),
	A(RULE_SRC_LEN, U8), A(RULE_DST, BIN), A(RULE_DST_LEN, U8),
	A(RULE_PROTO, U8), A(RULE_SPORT_MIN, U16), A(RULE_SPORT_MAX, U16),
	A(RULE_DPORT_MIN, U16), A(RULE_DPORT_MAX, U16), A(RULE_DSCP, U8),
	A(RULE_MARK, U32), A(RULE_MARK_MASK, U32), A(RULE_HITS, U64),
	A(RULE_IIFNAME, STR), A(RULE_OIFNAME, STR),
};

static const struct fz_attr flow_attrs[] = {
	A(FLOW_ID, U32), A(FLOW_FAMILY, U8), A(FLOW_PROTO, U8),
	A(FLOW_ORIG, NEST), A(FLOW_REPLY, NEST), A(FLOW_IFINDEX, U32),
	A(FLOW_SRC, BIN), A(FLOW_SRC_LEN, U8), A(FLOW_DST, BIN),
	A(FLOW_DST_LEN, U8), A(FLOW_SPORT, U16), A(FLOW_DPORT, U16),
	A(FLOW_COUNT, U32), A(FLOW_CT_ID, U32), A(FLOW_ZONE, U16),
};

static const struct fz_attr config_attrs[] = {
	A(CONFIG_FLOW_LIMIT, U32), A(CONFIG_TCP_TIMEOUT, U32),
	A(CONFIG_UDP_TIMEOUT, U32), A(CONFIG_STATS_INTERVAL, U32),
	A(CONFIG_VERIFY_INTERVAL, U32),
};

static const struct fz_attr stats_attrs[] = {
	A(STATS_FAST_PACKETS, U64), A(STATS_EXCEPTIONS, NEST),
};

static const struct fz_attr version_attrs[] = {
	A(VERSION_VERSION, STR),
};

#define CMD(c, a) { FASTPATH_CMD_##c, a, sizeof(a) / sizeof(a[0]) }

static const struct fz_cmd cmds[] = {
	CMD(VERSION_GET, version_attrs), CMD(DEV_GET, dev_attrs),
	CMD(DEV_SET, dev_attrs), CMD(RULE_GET, rule_attrs),
	CMD(RULE_NEW, rule_attrs), CMD(RULE_DEL, rule_attrs),
	CMD(RULE_FLUSH, rule_attrs), CMD(FLOW_GET, flow_attrs),
	CMD(FLOW_FLUSH, flow_attrs), CMD(STATS_GET, stats_attrs),
	CMD(CONFIG_GET, config_attrs), CMD(CONFIG_SET, config_attrs),
	CMD(FLOW_NEW_NTF, flow_attrs), CMD(FLOW_DEL_NTF, flow_attrs),
	CMD(FLOW_STATS_NTF, flow_attrs), CMD(FLOW_EXPLAIN, flow_attrs),
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* xorshift64*: reproducible from the seed on every libc. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return rnd_below(100) < percent;
}

static void rnd_fill(void *p, size_t len)
{
	unsigned char *c = p;

	while (len--)
		*c++ = rnd();
}

/* Values at and around the policy limits are more interesting than noise. */
static uint64_t rnd_scalar(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 4, 6, 10, 15, 16, 17, 32, 63, 64, 99, 100, 128, 129,
		255, 256, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff,
		0xffffffffffffffffULL,
	};

	if (chance(70))
		return edges[rnd_below(sizeof(edges) / sizeof(edges[0]))];
	return rnd();
}

struct msgbuf {
	unsigned char data[BUF_SIZE];
	size_t len;
};

static bool room(const struct msgbuf *m, size_t len)
{
	return m->len + NLA_ALIGN(len) <= sizeof(m->data);
}

/* Append one attribute; returns its offset (for nests) or -1 when full. */
static long put_attr(struct msgbuf *m, uint16_t type, const void *payload,
		     size_t len)
{
	struct nlattr *nla;
	long off = m->len;

	if (!room(m, NLA_HDRLEN + len))
		return -1;
	nla = (struct nlattr *)(m->data + m->len);
	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (payload)
		memcpy(m->data + m->len + NLA_HDRLEN, payload, len);
	else
		rnd_fill(m->data + m->len + NLA_HDRLEN, len);
	memset(m->data + m->len + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
	return off;
}

static void put_random_attrs(struct msgbuf *m, unsigned int depth);

static void close_nest(struct msgbuf *m, long off)
{
	struct nlattr *nla = (struct nlattr *)(m->data + off);

	nla->nla_len = m->len - off;
}

/* A random attribute: any type number and flags, any length, maybe nested. */
static void put_random_attr(struct msgbuf *m, unsigned int depth)
{
	uint16_t type;
	long off;

	switch (rnd_below(4)) {
	case 0:
		type = rnd();
		break;
	case 1:
		type = rnd_below(24);
		break;
	default:
		type = rnd_below(20) | (chance(30) ? NLA_F_NESTED : 0);
		break;
	}
	if (depth < 4 && chance(25)) {
		off = put_attr(m, type | NLA_F_NESTED, NULL, 0);
		if (off < 0)
			return;
		put_random_attrs(m, depth + 1);
		close_nest(m, off);
		return;
	}
	put_attr(m, type, NULL, chance(80) ? rnd_below(20) : rnd_below(2048));
}

static void put_random_attrs(struct msgbuf *m, unsigned int depth)
{
	unsigned int n = rnd_below(6);

	while (n--)
		put_random_attr(m, depth);
}

/* A well-typed attribute of the given kind with an edge-ish value. */
static void put_typed_attr(struct msgbuf *m, const struct fz_attr *a)
{
	static const char *const names[] = {
		"lo", "eth0", "", "nonexistent0", "veth0",
		"abcdefghijklmnop",	/* 16 chars: one over IFNAMSIZ - 1 */
	};
	uint64_t v = rnd_scalar();
	unsigned char addr[16];
	const char *name;
	long off;

	switch (a->kind) {
	case T_U8:
		put_attr(m, a->type, (uint8_t[]){ v }, 1);
		break;
	case T_U16:
		put_attr(m, a->type, (uint16_t[]){ v }, 2);
		break;
	case T_U32:
		put_attr(m, a->type, (uint32_t[]){ v }, 4);
		break;
	case T_U64:
		put_attr(m, a->type, (uint64_t[]){ v }, 8);
		break;
	case T_STR:
		name = names[rnd_below(sizeof(names) / sizeof(names[0]))];
		put_attr(m, a->type, name, strlen(name) + 1);
		break;
	case T_BIN:
		rnd_fill(addr, sizeof(addr));
		put_attr(m, a->type, addr, chance(50) ? 4 : 16);
		break;
	case T_NEST:
		off = put_attr(m, a->type | NLA_F_NESTED, NULL, 0);
		if (off < 0)
			return;
		put_random_attrs(m, 1);
		close_nest(m, off);
		break;
	}
}

/* One damage to a well-formed attribute list. */
static void mutate(struct msgbuf *m, size_t attrs_off, const struct fz_cmd *c)
{
	const struct fz_attr *a = &c->attrs[rnd_below(c->nattrs)];
	static const size_t lens[] = { 0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 300 };
	struct nlattr *nla;

	switch (rnd_below(9)) {
	case 0:		/* wrong length for the type */
		put_attr(m, a->type, NULL, lens[rnd_below(sizeof(lens) / sizeof(lens[0]))]);
		break;
	case 1:		/* unknown attribute, just past the max or far away */
		put_attr(m, chance(50) ? 16 + rnd_below(8) : rnd_below(0x4000),
			 NULL, rnd_below(16));
		break;
	case 2:		/* nested flag on a scalar, garbage inside */
		put_attr(m, a->type | NLA_F_NESTED, NULL, rnd_below(24));
		break;
	case 3:		/* string without terminator, or oversized */
		put_attr(m, a->type, NULL, chance(50) ? 15 + rnd_below(3) : 1000 + rnd_below(3000));
		break;
	case 4:		/* the same attribute twice */
		put_typed_attr(m, a);
		put_typed_attr(m, a);
		break;
	case 5:		/* an attribute claiming more than the message holds */
		if (put_attr(m, a->type, NULL, 4) >= 0) {
			nla = (struct nlattr *)(m->data + m->len - NLA_HDRLEN - 4);
			nla->nla_len = 8 + 1 + rnd_below(200);
		}
		break;
	case 6:		/* an attribute shorter than its own header */
		if (put_attr(m, a->type, NULL, 4) >= 0) {
			nla = (struct nlattr *)(m->data + m->len - NLA_HDRLEN - 4);
			nla->nla_len = rnd_below(NLA_HDRLEN);
		}
		break;
	case 7:		/* message cut anywhere in the attributes */
		if (m->len > attrs_off)
			m->len = attrs_off + rnd_below(m->len - attrs_off);
		break;
	default:	/* random attributes, maybe deeply nested */
		put_random_attrs(m, 0);
		break;
	}
}

struct request {
	uint32_t seq;
	bool expect_answer;
	bool to_family;		/* reaches one of the family's own handlers */
};

struct stats {
	unsigned long sent, expected, answered, dropped_by_core;
	unsigned long acks, errors, extacks, dumps, replies;
	unsigned long err_by_errno[MAX_ERRNO + 1];	/* last: larger ones */
	unsigned long ok_by_cmd[256];
	unsigned long bare_err[256][MAX_ERRNO + 1];	/* no extack, by cmd */
	unsigned long family_bare;	/* of those, rejected by the family */
};

static struct stats st;

/*
 * Does the genetlink core pass a request with this command and these flags
 * to one of the family's operations (rather than refusing it itself, with
 * EOPNOTSUPP, as it does for a command without a do or dump of that kind)?
 */
static bool has_op(uint8_t cmd, uint16_t flags)
{
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		return cmd == FASTPATH_CMD_DEV_GET || cmd == FASTPATH_CMD_RULE_GET ||
		       cmd == FASTPATH_CMD_FLOW_GET;
	return (cmd >= FASTPATH_CMD_VERSION_GET && cmd <= FASTPATH_CMD_CONFIG_SET) ||
	       cmd == FASTPATH_CMD_FLOW_EXPLAIN;
}

/*
 * Build one message at m->len (messages may be batched in a datagram).
 * Returns whether the netlink core will hand it to the family; *to_family
 * whether the family's own code (policy or handler) will see it.
 */
static bool build_one(struct msgbuf *m, uint16_t family, uint32_t seq,
		      uint8_t *cmd_out, bool last, bool *to_family)
{
	size_t start = m->len, attrs_off;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	const struct fz_cmd *c = NULL;
	bool answered = true;
	unsigned int i, n;

	nlh = (struct nlmsghdr *)(m->data + start);
	memset(nlh, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (chance(30))
		nlh->nlmsg_flags |= NLM_F_DUMP;
	if (chance(10))
		nlh->nlmsg_flags |= rnd() & 0x0f30;
	nlh->nlmsg_seq = seq;
	g = (struct genlmsghdr *)NLMSG_DATA(nlh);
	g->version = chance(90) ? FASTPATH_FAMILY_VERSION : rnd();
	if (chance(5))
		g->reserved = rnd();
	attrs_off = start + NLMSG_HDRLEN + GENL_HDRLEN;
	m->len = attrs_off;

	if (chance(55)) {
		c = &cmds[rnd_below(NCMDS)];
		g->cmd = c->cmd;
		n = rnd_below(c->nattrs + 1);
		for (i = 0; i < n; i++)
			put_typed_attr(m, &c->attrs[rnd_below(c->nattrs)]);
		if (chance(70))
			mutate(m, attrs_off, c);
	} else {
		g->cmd = chance(50) ? rnd_below(FASTPATH_CMD_MAX + 4) : rnd();
		put_random_attrs(m, 0);
	}
	*cmd_out = g->cmd;
	nlh->nlmsg_len = m->len - start;

	/*
	 * Bogus lengths: too short for the genl header (the family's core must
	 * reject it), or, only for the last message of a datagram, outside the
	 * datagram (the netlink core drops it silently).
	 */
	*to_family = has_op(g->cmd, nlh->nlmsg_flags);
	if (chance(3)) {
		nlh->nlmsg_len = NLMSG_HDRLEN + rnd_below(GENL_HDRLEN);
		m->len = start + NLMSG_ALIGN(nlh->nlmsg_len);
		*to_family = false;
	} else if (last && chance(2)) {
		nlh->nlmsg_len = chance(50) ? rnd_below(NLMSG_HDRLEN) :
			m->len - start + 1 + rnd_below(1000);
		answered = false;
	}
	return answered;
}

static const char *errname(int err)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%s", strerror(err));
	return buf;
}

/* Read answers until every expected request of this round is answered. */
static int collect(int fd, struct request *reqs, unsigned int nreq,
		   const uint8_t *cmds_sent, bool verbose)
{
	static unsigned char buf[RECV_SIZE];
	unsigned int pending = 0, i;

	for (i = 0; i < nreq; i++)
		pending += reqs[i].expect_answer;

	while (pending) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh;

		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			if (errno == ENOBUFS) {
				fprintf(stderr, "receive buffer overrun\n");
				return -ENOBUFS;
			}
			perror("recv");
			return -errno;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			bool terminal = false;
			int err = 0;

			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = -((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				terminal = true;
				if (!err)
					st.acks++;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				terminal = true;
				st.dumps++;
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					err = -*(int *)NLMSG_DATA(nlh);
			} else {
				st.replies++;
			}
			if (err) {
				err = err > 0 && err < MAX_ERRNO ? err : MAX_ERRNO;
				st.errors++;
				st.err_by_errno[err]++;
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					st.extacks++;
			}
			for (i = 0; i < nreq; i++) {
				if (reqs[i].seq != nlh->nlmsg_seq)
					continue;
				if (!terminal)
					break;
				if (!err)
					st.ok_by_cmd[cmds_sent[i]]++;
				else if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
					st.bare_err[cmds_sent[i]][err]++;
					if (reqs[i].to_family) {
						st.family_bare++;
						fprintf(stderr, "seq %u cmd %u: %s without extack\n",
							reqs[i].seq, cmds_sent[i], errname(err));
					}
				}
				if (verbose)
					fprintf(stderr, "seq %u cmd %u: %s\n",
						reqs[i].seq, cmds_sent[i],
						err ? errname(err) : "ok");
				if (reqs[i].expect_answer) {
					reqs[i].expect_answer = false;
					pending--;
					st.answered++;
				}
				break;
			}
		}
	}
	return 0;
}

static int resolve_family(int fd, uint16_t *id)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr g;
		unsigned char attrs[64];
	} req = { 0 };
	static unsigned char buf[8192];
	struct nlmsghdr *nlh;
	struct nlattr *nla;
	ssize_t len;
	int alen;

	req.nlh.nlmsg_type = GENL_ID_CTRL;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	nla = (struct nlattr *)req.attrs;
	nla->nla_type = CTRL_ATTR_FAMILY_NAME;
	nla->nla_len = NLA_HDRLEN + sizeof(FASTPATH_FAMILY_NAME);
	memcpy(req.attrs + NLA_HDRLEN, FASTPATH_FAMILY_NAME,
	       sizeof(FASTPATH_FAMILY_NAME));
	req.nlh.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(nla->nla_len);

	if (send(fd, &req, req.nlh.nlmsg_len, 0) < 0)
		return -errno;
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < 0)
		return -errno;
	nlh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nlh, (size_t)len))
		return -EBADMSG;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
	alen = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	for (nla = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	     alen >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN && nla->nla_len <= alen;
	     alen -= NLA_ALIGN(nla->nla_len),
	     nla = (struct nlattr *)((char *)nla + NLA_ALIGN(nla->nla_len))) {
		if ((nla->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID) {
			memcpy(id, (char *)nla + NLA_HDRLEN, sizeof(*id));
			return 0;
		}
	}
	return -ENOENT;
}

static int open_socket(void)
{
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int one = 1, rcvbuf = 4 * 1024 * 1024;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-s SEED] [-n COUNT] [-v]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = 20240601;
	unsigned long count = 10000;
	bool verbose = false;
	uint16_t family;
	int fd, opt, err;
	unsigned int i;

	while ((opt = getopt(argc, argv, "s:n:v")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	printf("seed %" PRIu64 " count %lu\n", seed, count);
	fflush(stdout);
	rng_state = seed ? seed : 1;

	fd = open_socket();
	if (fd < 0) {
		perror("netlink socket");
		return 1;
	}
	err = resolve_family(fd, &family);
	if (err) {
		fprintf(stderr, "cannot resolve family %s: %s\n",
			FASTPATH_FAMILY_NAME, strerror(-err));
		return 1;
	}
	printf("family %s id %u\n", FASTPATH_FAMILY_NAME, family);

	for (uint32_t seq = 100; st.sent < count;) {
		static struct msgbuf m;
		struct request reqs[4];
		uint8_t cmds_sent[4];
		unsigned int nreq = chance(10) ? 2 + rnd_below(3) : 1;

		m.len = 0;
		for (i = 0; i < nreq; i++) {
			reqs[i].seq = seq++;
			reqs[i].expect_answer = build_one(&m, family, reqs[i].seq,
							  &cmds_sent[i],
							  i == nreq - 1,
							  &reqs[i].to_family);
			m.len = NLMSG_ALIGN(m.len);
			st.sent++;
			if (reqs[i].expect_answer)
				st.expected++;
			else
				st.dropped_by_core++;
		}
		if (send(fd, m.data, m.len, 0) < 0) {
			fprintf(stderr, "send seq %u (%zu bytes): %s\n",
				reqs[0].seq, m.len, strerror(errno));
			return 1;
		}
		err = collect(fd, reqs, nreq, cmds_sent, verbose);
		if (err) {
			for (i = 0; i < nreq; i++)
				if (reqs[i].expect_answer)
					fprintf(stderr, "no answer to seq %u (cmd %u) within %d s\n",
						reqs[i].seq, cmds_sent[i], TIMEOUT_S);
			return 1;
		}
	}

	printf("sent %lu, expected answers %lu, answered %lu, dropped by the netlink core %lu\n",
	       st.sent, st.expected, st.answered, st.dropped_by_core);
	printf("acks %lu, errors %lu (with extack %lu), dumps done %lu, replies %lu\n",
	       st.acks, st.errors, st.extacks, st.dumps, st.replies);
	for (i = 0; i <= MAX_ERRNO; i++)
		if (st.err_by_errno[i])
			printf("  errno %u (%s): %lu\n", i, strerror(i),
			       st.err_by_errno[i]);
	for (i = 0; i < 256; i++)
		if (st.ok_by_cmd[i])
			printf("  cmd %u succeeded: %lu\n", i, st.ok_by_cmd[i]);
	/* Rejections without a message: the ones a user cannot act on. */
	printf("rejected by the family without extack: %lu\n", st.family_bare);
	for (i = 0; i < 256; i++)
		for (int e = 0; e <= MAX_ERRNO; e++)
			if (st.bare_err[i][e])
				printf("  cmd %u errno %d (%s) without extack: %lu\n",
				       i, e, strerror(e), st.bare_err[i][e]);

	/* The family must still work after all that. */
	err = resolve_family(fd, &family);
	if (err) {
		fprintf(stderr, "family gone after fuzzing: %s\n", strerror(-err));
		return 1;
	}
	close(fd);
	return st.answered == st.expected ? 0 : 1;
}
