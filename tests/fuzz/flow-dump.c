// SPDX-License-Identifier: GPL-2.0
/*
 * flow-dump: dump the flow table of the current network namespace over
 * the fastpath family, without fpctl, and print one line per flow:
 *
 *	ID ORIG_SPORT ORIG_DPORT
 *
 * then, on stderr, "flows N reads R interrupted 0|1": how many flows, how
 * many reads of the socket (each one part of the dump the kernel resumed)
 * and whether a message carried NLM_F_DUMP_INTR (the table changed while
 * it was dumped).
 *
 * -f SPORT: on the first flow received, flush the flows whose source port
 * is SPORT over a second socket, so that the table changes mid-dump.
 *
 * -p FILE: on the first flow received, create FILE and wait until it is
 * removed: whatever changes the table meanwhile does so mid-dump.
 *
 * Exit status: 0 when the dump completed, 1 on any error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fastpath.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

struct dump {
	unsigned long flows, reads;
	long flush_sport;
	const char *pause_file;
	bool interrupted;
	bool done;
	int error;
};

static struct dump d;

static void die(const char *what, int err)
{
	fprintf(stderr, "flow-dump: %s: %s\n", what, nl_geterror(err));
	exit(1);
}

static struct nl_sock *connect_family(int *family)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk) {
		fprintf(stderr, "flow-dump: out of memory\n");
		exit(1);
	}
	err = genl_connect(sk);
	if (err < 0)
		die("connect", err);
	*family = genl_ctrl_resolve(sk, FASTPATH_FAMILY_NAME);
	if (*family < 0)
		die("resolve " FASTPATH_FAMILY_NAME, *family);
	return sk;
}

/* Hold the dump until whoever waits for file has removed it. */
static void pause_dump(const char *file)
{
	FILE *f = fopen(file, "w");

	if (!f || fclose(f)) {
		perror(file);
		exit(1);
	}
	while (access(file, F_OK) == 0)
		usleep(20000);
}

/* A do request on its own socket: flush the flows from source port sport. */
static void flush_sport(uint16_t sport)
{
	struct nl_sock *sk;
	struct nl_msg *msg;
	int family, err;

	sk = connect_family(&family);
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				 NLM_F_ACK, FASTPATH_CMD_FLOW_FLUSH,
				 FASTPATH_FAMILY_VERSION) ||
	    nla_put_u16(msg, FASTPATH_A_FLOW_SPORT, sport) < 0) {
		fprintf(stderr, "flow-dump: cannot build the flush request\n");
		exit(1);
	}
	err = nl_send_sync(sk, msg);
	if (err < 0)
		die("flush", err);
	nl_socket_free(sk);
}

static int flow_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[FASTPATH_A_FLOW_MAX + 1];
	struct nlattr *orig[FASTPATH_A_TUPLE_MAX + 1];

	(void)arg;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, FASTPATH_A_FLOW_MAX, NULL) ||
	    !tb[FASTPATH_A_FLOW_ID] || !tb[FASTPATH_A_FLOW_ORIG] ||
	    nla_parse_nested(orig, FASTPATH_A_TUPLE_MAX,
			     tb[FASTPATH_A_FLOW_ORIG], NULL) ||
	    !orig[FASTPATH_A_TUPLE_SPORT] || !orig[FASTPATH_A_TUPLE_DPORT]) {
		fprintf(stderr, "flow-dump: malformed flow message\n");
		d.error = -EBADMSG;
		return NL_STOP;
	}
	if (!d.flows++ && d.flush_sport > 0)
		flush_sport(d.flush_sport);
	if (d.flows == 1 && d.pause_file)
		pause_dump(d.pause_file);
	printf("%u %u %u\n", nla_get_u32(tb[FASTPATH_A_FLOW_ID]),
	       nla_get_u16(orig[FASTPATH_A_TUPLE_SPORT]),
	       nla_get_u16(orig[FASTPATH_A_TUPLE_DPORT]));
	return NL_OK;
}

static int intr_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	d.interrupted = true;
	return NL_OK;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	int err = 0;

	(void)arg;
	if (nlmsg_datalen(nlmsg_hdr(msg)) >= (int)sizeof(err))
		memcpy(&err, nlmsg_data(nlmsg_hdr(msg)), sizeof(err));
	d.error = err;
	d.done = true;
	return NL_STOP;
}

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	(void)nla;
	(void)arg;
	d.error = e->error;
	d.done = true;
	return NL_STOP;
}

static int count_reads(struct nl_sock *sk, struct sockaddr_nl *nla,
		       unsigned char **buf, struct ucred **creds)
{
	d.reads++;
	return nl_recv(sk, nla, buf, creds);
}

int main(int argc, char **argv)
{
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family, opt, err;

	while ((opt = getopt(argc, argv, "f:p:")) != -1) {
		switch (opt) {
		case 'f':
			d.flush_sport = strtol(optarg, NULL, 10);
			if (d.flush_sport < 1 || d.flush_sport > 65535)
				goto usage;
			break;
		case 'p':
			d.pause_file = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	sk = connect_family(&family);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		fprintf(stderr, "flow-dump: out of memory\n");
		return 1;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, flow_cb, NULL);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, intr_cb, NULL);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, NULL);
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, NULL);
	nl_cb_overwrite_recv(cb, count_reads);
	err = genl_send_simple(sk, family, FASTPATH_CMD_FLOW_GET,
			       FASTPATH_FAMILY_VERSION, NLM_F_DUMP);
	if (err < 0)
		die("send", err);
	while (!d.done && !d.error) {
		err = nl_recvmsgs(sk, cb);
		if (err < 0)
			die("receive", err);
	}
	if (d.error) {
		fprintf(stderr, "flow-dump: the dump failed: %s\n",
			strerror(-d.error));
		return 1;
	}
	fprintf(stderr, "flows %lu reads %lu interrupted %d\n",
		d.flows, d.reads, d.interrupted);
	nl_cb_put(cb);
	nl_socket_free(sk);
	return 0;
usage:
	fprintf(stderr, "Usage: flow-dump [-f SPORT] [-p FILE]\n");
	return 1;
}
